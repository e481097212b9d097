#!/usr/bin/env node
// The end of `npm test` (scripts/test-all.sh): from the machine-readable
// results each runner left in a directory, one list of the tests that
// failed (with their first error line, since CI shows only the end of the
// output), one list of the skipped ones with their reasons, and one total.
//
//   node scripts/test-summary.js DIR
//
// DIR holds, per stage: NAME.tap (node --test, a TAP copy), NAME.junit.xml
// (ctest --output-junit), NAME.json (Playwright's JSON reporter). The label
// of a stage's results is its file name.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
/** Tests that passed only when tried again (Playwright's retry), with their first failure. */
const flaky = [];
/** reason → { names, where } so that the same skip on several runtimes is listed once. */
const skips = new Map();

function skip(name, reason, where) {
  const key = `${name}\u0000${reason}`;
  if (!skips.has(key)) skips.set(key, { name, reason, where: [] });
  skips.get(key).where.push(where);
}

function firstLine(text) {
  return String(text ?? '').split('\n').map((line) => line.trim()).find((line) => line !== '' && line !== '|-' && line !== '>-') ?? '';
}

// node --test's TAP: "ok N - name # SKIP reason", "not ok N - name" and a
// YAML block with type (suites have one) and error. Suites are not counted.
function readTap(file, label) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^\s*(not ok|ok) \d+ - (.*?)(?: # (SKIP|TODO)\b\s*(.*))?$/.exec(lines[i]);
    if (!match) continue;
    let suite = false;
    let error = '';
    for (let j = i + 1; j < lines.length && !/^\s*(not ok|ok) \d+ /.test(lines[j]); j++) {
      if (/^\s*type: 'suite'/.test(lines[j])) suite = true;
      const err = /^\s*error: (.*)$/.exec(lines[j]);
      if (err && error === '') {
        error = err[1].replace(/^['"]|['"]$/g, '');
        if (error === '|-' || error === '>-' || error === '') error = lines[j + 1]?.trim() ?? '';
      }
      if (/^\s*\.\.\.$/.test(lines[j])) break;
    }
    if (suite) continue;
    const name = match[2].replace(/\\#/g, '#');
    if (match[3] !== undefined) {
      totals.skipped++;
      skip(name, match[4] || 'no reason given', label);
    } else if (match[1] === 'ok') {
      totals.passed++;
    } else {
      totals.failed++;
      failures.push(`${label}: ${name}\n      ${firstLine(error)}`);
    }
  }
}

// ctest's JUnit file: one <testcase> per test, status "run", "fail" or "notrun".
function readJunit(file, label) {
  const xml = fs.readFileSync(file, 'utf8');
  for (const match of xml.matchAll(/<testcase name="([^"]*)"[^>]*status="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
    const [, name, status, body] = match;
    if (status === 'run') totals.passed++;
    else if (status === 'notrun' || status === 'disabled') {
      totals.skipped++;
      skip(name, 'not run by ctest', label);
    } else {
      totals.failed++;
      const output = /<system-out>([\s\S]*?)<\/system-out>/.exec(body)?.[1] ?? '';
      const failure = output.split('\n').find((line) => /Failure|error|Expected|FAILED|ERROR/.test(line)) ?? '';
      failures.push(`${label}: ${name}\n      ${failure.trim().replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')}`);
    }
  }
}

// Playwright's JSON report: suites of specs of tests, each with results.
function readPlaywright(file, label) {
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const walk = (suite, titles) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        const name = [...titles, spec.title].filter(Boolean).join(' › ');
        const last = test.results?.[test.results.length - 1];
        if (test.status === 'skipped') {
          totals.skipped++;
          skip(name, test.annotations?.find((a) => a.type === 'skip')?.description ?? 'no reason given', label);
        } else if (test.status === 'expected') {
          totals.passed++;
        } else if (test.status === 'flaky') {
          totals.passed++;
          const first = test.results?.find((result) => result.status !== 'passed');
          flaky.push(`${label}: ${name}\n      ${firstLine(first?.error?.message).replace(/\u001b\[[0-9;]*m/g, '')}`);
        } else {
          totals.failed++;
          failures.push(`${label}: ${name}\n      ${firstLine(last?.error?.message).replace(/\u001b\[[0-9;]*m/g, '')}`);
        }
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...titles, child.title && !child.title.endsWith('.ts') ? child.title : '']);
  };
  for (const suite of report.suites ?? []) walk(suite, []);
  for (const error of report.errors ?? []) {
    totals.failed++;
    failures.push(`${label}: (outside any test)\n      ${firstLine(error.message)}`);
  }
}

for (const name of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
  const file = path.join(dir, name);
  try {
    if (name.endsWith('.tap')) readTap(file, name.slice(0, -4));
    else if (name.endsWith('.junit.xml')) readJunit(file, name.slice(0, -10));
    else if (name.endsWith('.json')) readPlaywright(file, name.slice(0, -5));
  } catch (error) {
    totals.failed++;
    failures.push(`${name}: its results could not be read (${error.message})`);
  }
}

if (failures.length > 0) {
  console.log(`\nFailed tests (${failures.length}):`);
  for (const failure of failures) console.log(`  ${failure}`);
}
if (flaky.length > 0) {
  console.log(`\nPassed only on a retry (${flaky.length}), their first failure:`);
  for (const test of flaky) console.log(`  ${test}`);
}
if (skips.size > 0) {
  console.log('\nSkipped, not passed:');
  const byReason = new Map();
  for (const { name, reason, where } of skips.values()) {
    const key = `${reason}\u0000${where.join(', ')}`;
    if (!byReason.has(key)) byReason.set(key, { reason, where, names: [] });
    byReason.get(key).names.push(name);
  }
  for (const { reason, where, names } of byReason.values()) {
    console.log(`  ${names.length} test${names.length === 1 ? '' : 's'} (${where.join(', ')}): ${reason}`);
    for (const name of names.slice(0, 12)) console.log(`    - ${name}`);
    if (names.length > 12) console.log(`    - and ${names.length - 12} more`);
  }
}
console.log(`\nTotal: ${totals.passed} passed${flaky.length > 0 ? ` (${flaky.length} only on a retry)` : ''}, ${totals.failed} failed, ${totals.skipped} skipped`);

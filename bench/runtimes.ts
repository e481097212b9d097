/**
 * `npm run bench`: bench/run.ts on each benchmarked runtime, one after the
 * other (Node 24, the runtime inside Electron 40 and later, then Node 20),
 * each in a process of its own with its own C floor; then one table with
 * the runtimes side by side, written to bench/RESULTS.md with the machine,
 * the date and the command. Method: docs/benchmark.md.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fmt, goalLines, renderTable, type RuntimeResults } from './report';

const ROOT = path.join(__dirname, '..');
const RUNTIMES = ['24', '20'];

function runOn(major: string): RuntimeResults {
  const node = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'runtimes.js'), 'path', major], { encoding: 'utf8' }).trim();
  const out = path.join(os.tmpdir(), `electron-shm-bench-${process.pid}-${major}.json`);
  console.log(`\n== Node ${major} (${node})`);
  try {
    execFileSync(node, ['--import', 'tsx', path.join(__dirname, 'run.ts'), '--json', out], { cwd: ROOT, stdio: 'inherit' });
    return JSON.parse(fs.readFileSync(out, 'utf8')) as RuntimeResults;
  } finally {
    fs.rmSync(out, { force: true });
  }
}

function main(): void {
  const results = RUNTIMES.map(runOn);
  const [first] = results as [RuntimeResults];
  const headers = [
    ['', '', ...results.flatMap((r) => [`Node ${r.node.slice(1)}`, '', ''])],
    ['frame', 'method', ...results.flatMap(() => ['frames/s', 'median µs', 'p99 µs'])],
  ];
  const rows = first.rows.map((row, i) => [
    row.frame,
    row.method,
    ...results.flatMap(({ rows: theirs }) => [fmt(theirs[i]!.fps), fmt(theirs[i]!.medianUs, 1), fmt(theirs[i]!.p99Us, 1)]),
  ]);
  const table = renderTable(headers, rows);
  const goals = results.map((r) => `Node ${r.node.slice(1)}\n${goalLines(r.goals)}`).join('\n\n');
  console.log(`\n== Side by side\n${table}\n\n${goals}`);

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const md = [
    '# Benchmark results',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}`,
    `- Runtimes: ${results.map((r) => `Node ${r.node.slice(1)}`).join(', ')} (official binaries, scripts/runtimes.js), one after the other, each with its own C floor`,
    '- Command: `npm run bench`',
    `- ${first.method} Method: [docs/benchmark.md](../docs/benchmark.md).`,
    '',
    '```',
    table,
    '```',
    '',
    '## Goals',
    '',
    '```',
    goals,
    '```',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), md);
  console.log('\nWritten to bench/RESULTS.md');
}

main();

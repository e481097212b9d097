/**
 * The handle parser under a few hundred thousand inputs: mutations of
 * valid handles, random strings, and values that are not strings. Every
 * one must give a handle that formats back to exactly the input, or throw
 * ERR_HANDLE_INVALID (a ShmError) for a string and ERR_INVALID_ARG_TYPE
 * for anything else; and the parser must agree with a reading of
 * docs/handle-format.md written apart from it. A failure names the seed
 * that repeats it (test/fuzz.ts: ESHM_FUZZ_SEED, ESHM_FUZZ_RUNS).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShmError } from '../main/lib/errors';
import { formatHandle, parseHandle, type HandleFields, type HandleKind } from '../main/lib/handle';
import { fuzzRuns, fuzzSeed, mutateString, randomString, Rng, TRICKY_CHARS } from './fuzz';

const RUNS = fuzzRuns(200_000);
const SEED = fuzzSeed();

/** One parse taking this long is a hang (the parser is linear; a parse takes microseconds). */
const HANG_MS = 1000;

// What docs/handle-format.md says, read field by field, without the
// parser's regular expressions: a decimal is its canonical form.
function isDecimalIn(text: string, min: bigint, max: bigint): boolean {
  if (text.length === 0 || text.length > 40 || (text[0] === '0' && text.length > 1)) return false;
  for (const c of text) if (c < '0' || c > '9') return false;
  const value = BigInt(text);
  return value >= min && value <= max;
}

function isLowerHex(text: string, length: number): boolean {
  if (text.length !== length) return false;
  for (const c of text) if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

const KINDS: readonly HandleKind[] = ['map', 'resizable', 'frames', 'semaphore'];

function isHandleByTheDocs(text: string): boolean {
  const fields = text.split(':');
  if (fields.length !== 9) return false;
  const [tag, version, kind, pid, broker, id, size, access, secret] = fields as [string, string, string, string, string, string, string, string, string];
  const semaphore = kind === 'semaphore';
  return (
    tag === 'electron-shm' &&
    version === '2' &&
    (KINDS as readonly string[]).includes(kind) &&
    isDecimalIn(pid, 1n, 2n ** 31n - 1n) &&
    isLowerHex(broker, 16) &&
    isDecimalIn(id, 1n, 2n ** 64n - 1n) &&
    (semaphore ? size === '0' : isDecimalIn(size, 1n, 2n ** 53n - 1n)) &&
    (access === 'rw' || (access === 'ro' && kind === 'map')) &&
    isLowerHex(secret, 32)
  );
}

function hex(rng: Rng, length: number): string {
  let text = '';
  while (text.length < length) text += rng.next().toString(16).padStart(8, '0');
  return text.slice(0, length);
}

function upTo(rng: Rng, max: bigint): bigint {
  const pick = rng.below(4);
  if (pick === 0) return 1n;
  if (pick === 1) return max;
  const random = (BigInt(rng.next()) << 32n) | BigInt(rng.next());
  return (random % max) + 1n;
}

function validHandle(rng: Rng): string {
  const kind = rng.pick(KINDS);
  const semaphore = kind === 'semaphore';
  const fields: HandleFields = {
    kind,
    pid: Number(upTo(rng, 2n ** 31n - 1n)),
    broker: hex(rng, 16),
    id: upTo(rng, 2n ** 64n - 1n),
    size: semaphore ? 0 : Number(upTo(rng, 2n ** 53n - 1n)),
    readOnly: kind === 'map' && rng.oneIn(2),
    secret: hex(rng, 32),
  };
  return formatHandle(fields);
}

// Numbers at the limits of each field and forms a lenient parser takes.
const DICTIONARY = [
  '0', '1', '01', '-1', '+1', '1.0', '1e3', '0x1f', '1_0', ' 1', '1 ', '2147483647', '2147483648', '4294967296',
  '9007199254740991', '9007199254740992', '18446744073709551615', '18446744073709551616', '99999999999999999999',
  'Infinity', 'NaN', 'rw', 'ro', 'RW', 'rwx', 'map', 'frames', 'semaphore', 'Map', 'electron-shm', 'electron-shm:1:', 'electron-shm:2:', '0'.repeat(16), 'f'.repeat(32),
  'F'.repeat(32), ':', '::', '',
];

const NOT_STRINGS: readonly unknown[] = [undefined, null, 42, 42n, true, {}, [], Symbol('handle'), () => 'electron-shm:2:'];

/** Changes whole fields: one replaced from the dictionary, dropped, repeated, or two swapped. */
function mutateFields(rng: Rng, handle: string): string {
  const fields = handle.split(':');
  const i = rng.below(fields.length);
  const j = rng.below(fields.length);
  switch (rng.below(4)) {
    case 0:
      fields[i] = rng.pick(DICTIONARY);
      break;
    case 1:
      fields.splice(i, 1);
      break;
    case 2:
      fields.splice(i, 0, fields[i]!);
      break;
    default:
      [fields[i], fields[j]] = [fields[j]!, fields[i]!];
      break;
  }
  return fields.join(':');
}

/**
 * The next input of the stream: mostly mutants of `seeds` (valid handles),
 * some new valid handles, random strings, non-strings and long strings.
 */
function input(rng: Rng, seeds: readonly string[]): unknown {
  const pick = rng.below(1000);
  if (pick < 50) return validHandle(rng);
  if (pick < 150) return randomString(rng, 120);
  if (pick < 160) return rng.pick(NOT_STRINGS);
  // Long inputs: what would make a backtracking pattern hang.
  if (pick < 161) return rng.pick(seeds).slice(0, rng.below(60)) + rng.pick(['0', '9', 'a', ':', '1:']).repeat(1000 + rng.below(20_000));
  // A whole handle padded by one character: what a lenient parser takes.
  if (pick < 166) return rng.oneIn(2) ? rng.pick(TRICKY_CHARS) + rng.pick(seeds) : rng.pick(seeds) + rng.pick(TRICKY_CHARS);
  let text = rng.pick(seeds);
  if (rng.oneIn(2)) text = mutateFields(rng, text);
  return mutateString(rng, text, rng.pick(seeds), DICTIONARY);
}

interface Failure {
  run: number;
  input: unknown;
  problem: string;
}

function show(value: unknown): string {
  if (typeof value === 'string') return value.length > 200 ? `${JSON.stringify(value.slice(0, 200))}... (${value.length} characters)` : JSON.stringify(value);
  return typeof value === 'symbol' || typeof value === 'function' ? String(value) : `${typeof value} ${JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
}

/** What is wrong with `parse`'s answer to `value`, or undefined if nothing. */
function judge(parse: (value: unknown) => HandleFields, value: unknown): string | undefined {
  const start = performance.now();
  let parsed: HandleFields | undefined;
  let thrown: unknown;
  try {
    parsed = parse(value);
  } catch (error) {
    thrown = error;
  }
  const took = performance.now() - start;
  if (took > HANG_MS) return `one parse took ${Math.round(took)} ms`;
  const code = (thrown as { code?: unknown } | undefined)?.code;
  if (typeof value !== 'string') {
    if (thrown instanceof TypeError && code === 'ERR_INVALID_ARG_TYPE') return undefined;
    return parsed !== undefined ? 'a value that is not a string was parsed' : `threw ${String(thrown)} (code ${String(code)}), not ERR_INVALID_ARG_TYPE`;
  }
  const valid = isHandleByTheDocs(value);
  if (parsed !== undefined) {
    if (!valid) return 'accepted a string that docs/handle-format.md does not allow';
    const again = formatHandle(parsed);
    return again === value ? undefined : `parsed, but formats back to ${JSON.stringify(again)}`;
  }
  if (valid) return `refused a handle docs/handle-format.md allows: ${String(thrown)}`;
  if (thrown instanceof ShmError && code === 'ERR_HANDLE_INVALID') return undefined;
  return `threw ${String(thrown)} (code ${String(code)}), not a ShmError ERR_HANDLE_INVALID`;
}

/**
 * The first input of the stream of `seed` that `parse` gets wrong. Errors
 * carry no stack meanwhile: capturing one costs more than the parse, and
 * the judgement needs only class and code.
 */
function firstFailure(parse: (value: unknown) => HandleFields, seed: number, runs: number): Failure | undefined {
  const rng = new Rng(seed);
  const seeds = Array.from({ length: 256 }, () => validHandle(rng));
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (let run = 1; run <= runs; run++) {
      const value = input(rng, seeds);
      const problem = judge(parse, value);
      if (problem !== undefined) return { run, input: value, problem };
    }
    return undefined;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function describeFailure(failure: Failure, seed: number): string {
  return `run ${failure.run} of seed ${seed}: ${failure.problem}\n  input: ${show(failure.input)}\n  repeat: ESHM_FUZZ_SEED=${seed} node --import tsx --test test/025.handle.fuzz.test.ts`;
}

describe('handle parser fuzzing', () => {
  it(`Tests that ${RUNS} inputs (seed ${SEED}) each parse to a handle that formats back to itself, or are refused with the right code`, () => {
    const failure = firstFailure(parseHandle, SEED, RUNS);
    assert.equal(failure, undefined, failure && describeFailure(failure, SEED));
  });

  it('Tests that the fuzzing finds planted bugs: a parser that trims white space, and one that throws a plain error', () => {
    const runs = Math.min(RUNS, 20_000);
    const trimming = (value: unknown) => parseHandle(typeof value === 'string' ? value.trim() : value);
    const lenient = firstFailure(trimming, SEED, runs);
    assert.ok(lenient !== undefined, `no input of ${runs} caught a parser that trims`);
    assert.match(lenient.problem, /accepted a string|formats back/);

    const throwing = (value: unknown) => {
      if (typeof value === 'string' && value.includes('\0')) throw new Error('unexpected NUL');
      return parseHandle(value);
    };
    const plain = firstFailure(throwing, SEED, runs);
    assert.ok(plain !== undefined, `no input of ${runs} caught a parser that throws a plain Error`);
    assert.match(plain.problem, /not a ShmError/);
  });
});

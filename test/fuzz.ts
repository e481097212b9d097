/**
 * A small deterministic string fuzzer for the Node tests, the counterpart
 * of native/fuzz/ (same variables, same rules): a seeded generator and
 * mutations of valid strings. One seed gives the same inputs on every
 * runtime, so a failure names the seed that repeats it.
 *
 *   ESHM_FUZZ_SEED   the seed (default 1, the same inputs every run; "random" picks one)
 *   ESHM_FUZZ_RUNS   how many inputs (default: the test's own)
 */
import { randomBytes } from 'node:crypto';

/** sfc32 (Chris Doty-Humphrey's PractRand): fast, 32-bit, seeded by one number. Not for secrets. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  constructor(seed: number) {
    this.#a = seed >>> 0;
    this.#b = Math.floor(seed / 0x100000000) >>> 0;
    this.#c = 0x9e3779b9;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 2^32). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, n), n <= 2^32. */
  below(n: number): number {
    return Math.floor((this.next() / 0x100000000) * n);
  }

  oneIn(n: number): boolean {
    return this.below(n) === 0;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

/** The seed of this run: ESHM_FUZZ_SEED, "random", or 1. */
export function fuzzSeed(): number {
  const given = process.env.ESHM_FUZZ_SEED;
  if (given === undefined || given === '') return 1;
  if (given === 'random') return randomBytes(6).readUIntLE(0, 6);
  const seed = Number(given);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`ESHM_FUZZ_SEED must be a whole number or "random", not ${given}`);
  return seed;
}

/** How many inputs: ESHM_FUZZ_RUNS, or the test's default. */
export function fuzzRuns(fallback: number): number {
  const given = process.env.ESHM_FUZZ_RUNS;
  if (given === undefined || given === '') return fallback;
  const runs = Number(given);
  if (!Number.isSafeInteger(runs) || runs < 0) throw new RangeError(`ESHM_FUZZ_RUNS must be a whole number, not ${given}`);
  return runs;
}

/**
 * Characters that parsers mistake for others: ASCII digits and their
 * look-alikes in other scripts (which \d or parseInt may take), hex digits
 * of both cases, separators, signs, white space and line ends (which ^ and
 * $ may stop at), NUL, a lone surrogate, a character outside the BMP, and
 * letters that case-insensitive matching folds to ASCII (long s, Kelvin).
 */
export const TRICKY_CHARS = [
  ...'0123456789abcdefABCDEF:-+._ xXeEn',
  '\n', '\r', '\t', '\0', '\u2028', '\u00a0', '\ufeff',
  '\u0663', '\uff11', '\u00b9', '\ud835', '\ud835\udfd9', '\u00e9', '\u017f', '\u212a',
];

/** A random string: mostly tricky characters, sometimes any UTF-16 code unit. */
export function randomString(rng: Rng, maxLength: number): string {
  let text = '';
  for (let n = rng.below(maxLength + 1); n > 0; n--) {
    text += rng.oneIn(8) ? String.fromCharCode(rng.below(0x10000)) : rng.pick(TRICKY_CHARS);
  }
  return text;
}

/**
 * One to four changes of `text`: a character replaced, inserted, removed
 * or repeated, a run cut, a splice with `other` (another valid string), a
 * case change, or a piece of `dictionary` put in.
 */
export function mutateString(rng: Rng, text: string, other: string, dictionary: readonly string[]): string {
  for (let n = rng.below(4) + 1; n > 0; n--) {
    const at = rng.below(text.length + 1);
    switch (rng.below(9)) {
      case 0:
        text = text.slice(0, at) + rng.pick(TRICKY_CHARS) + text.slice(at + 1);
        break;
      case 1:
        text = text.slice(0, at) + rng.pick(TRICKY_CHARS) + text.slice(at);
        break;
      case 2:
        text = text.slice(0, at) + text.slice(at + 1 + rng.below(4));
        break;
      case 3:
        text = text.slice(0, at) + text.slice(at, at + 1 + rng.below(8)).repeat(2 + rng.below(3)) + text.slice(at);
        break;
      case 4:
        text = text.slice(0, at);
        break;
      case 5:
        text = text.slice(0, at) + other.slice(rng.below(other.length + 1));
        break;
      case 6:
        text = rng.oneIn(2) ? text.toUpperCase() : text.slice(0, at) + text.slice(at).toUpperCase();
        break;
      default:
        text = text.slice(0, at) + rng.pick(dictionary) + text.slice(at);
        break;
    }
  }
  return text;
}

/**
 * Argument checks, run before any call crosses into C++. Each throws the
 * TypeError or RangeError of errors.ts naming the argument.
 */
import { invalidType, invalidValue, outOfRange } from './errors.js';

/** A whole number in [min, max]. */
export function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidType(name, 'a number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

export function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidType(name, 'a boolean', value);
  return value;
}

export function string(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidType(name, 'a string', value);
  return value;
}

/** A string matching `pattern`; `expected` says in words what that is. */
export function stringMatching(name: string, value: unknown, pattern: RegExp, expected: string): string {
  const text = string(name, value);
  if (!pattern.test(text)) throw invalidValue(name, expected, value);
  return text;
}

/** An options object (or undefined, read as {}), with no unknown keys. */
export function options<K extends string>(name: string, value: unknown, keys: readonly K[]): Partial<Record<K, unknown>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidType(name, 'an object', value);
  }
  for (const key of Object.keys(value)) {
    if (!(keys as readonly string[]).includes(key)) {
      throw invalidValue(name, `only the options ${keys.join(', ')}`, key);
    }
  }
  return value as Partial<Record<K, unknown>>;
}

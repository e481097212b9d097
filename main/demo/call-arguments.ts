/**
 * The checks of a page's arguments to the bridge. The demo uses only the
 * library's public API, so it has its own: each refusal is an Error with
 * the code Node gives the same mistake, which the bridge hands back to
 * the page.
 */
type ArgumentCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';

export function refused(code: ArgumentCode, name: string, expected: string, actual: unknown): Error & { code: ArgumentCode } {
  const shown = typeof actual === 'string' ? JSON.stringify(actual) : Array.isArray(actual) ? `${actual.length} arguments` : String(actual);
  const message = `Expected ${expected} for ${name} but received ${shown}`;
  return Object.assign(code === 'ERR_OUT_OF_RANGE' ? new RangeError(message) : new TypeError(message), { code });
}

/** A whole number in [min, max]. */
export function wholeNumberIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw refused('ERR_INVALID_ARG_TYPE', name, 'a number', value);
  if (!Number.isInteger(value) || value < min || value > max) throw refused('ERR_OUT_OF_RANGE', name, `an integer from ${min} to ${max}`, value);
  return value;
}

/** One of `allowed`, by type first. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw refused('ERR_INVALID_ARG_TYPE', name, 'a string', value);
  if (!allowed.includes(value as T)) throw refused('ERR_INVALID_ARG_VALUE', name, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

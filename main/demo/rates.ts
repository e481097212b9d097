/** Rates and percentiles for the demo's figures. */

const WINDOW_MS = 1000;

/** Events per second over the last second, from a growing count sampled now and then. */
export class RateMeter {
  readonly #samples: { at: number; count: number }[] = [];

  add(count: number, at = performance.now()): void {
    this.#samples.push({ at, count });
    // Keep one sample older than the window, so the window is always spanned.
    while (this.#samples.length > 2 && at - this.#samples[1]!.at > WINDOW_MS) this.#samples.shift();
  }

  perSecond(now = performance.now()): number {
    const last = this.#samples.at(-1);
    const first = this.#samples[0];
    // Nothing heard for a window: whatever counted has stopped.
    if (last === undefined || first === undefined || now - last.at > WINDOW_MS || last.at === first.at) return 0;
    return ((last.count - first.count) * 1000) / (last.at - first.at);
  }
}

/** The value below which a fraction `q` of `sorted` lies; null if empty. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

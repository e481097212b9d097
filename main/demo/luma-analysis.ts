/**
 * What an analyzer computes from each frame's pixels, read in place in
 * shared memory: a luma histogram and a motion measure, both over a grid of
 * at most about 65,000 sample points so that a 4K frame costs no more than
 * a small one.
 */
const HISTOGRAM_BINS = 16;
const MAX_SAMPLES = 65536;

export interface LumaFigures {
  /** Fraction of the sampled pixels in each of 16 luma bins, dark to bright. */
  histogram: number[];
  /** Mean absolute luma change from the previous frame, 0 (still) to 1. */
  motion: number;
}

/** Luma of the RGBA pixel at byte `i`: Rec. 709 weights in 8-bit fixed point, 0 to 255. */
export function lumaAt(rgba: Uint8Array, i: number): number {
  return (54 * rgba[i]! + 183 * rgba[i + 1]! + 19 * rgba[i + 2]!) >> 8;
}

export class LumaAnalysis {
  #previous: Uint8Array | undefined;

  /** Analyzes one RGBA frame with packed rows. */
  analyze(pixels: Uint8Array, width: number, height: number): LumaFigures {
    const step = Math.max(1, Math.round(Math.sqrt((width * height) / MAX_SAMPLES)));
    const columns = Math.ceil(width / step);
    const rows = Math.ceil(height / step);
    const luma = new Uint8Array(columns * rows);
    const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
    let n = 0;
    for (let y = 0; y < height; y += step) {
      let i = y * width * 4;
      for (let x = 0; x < width; x += step, i += step * 4) {
        const value = lumaAt(pixels, i);
        luma[n++] = value;
        counts[value >> 4]!++;
      }
    }
    const motion = this.#motion(luma);
    this.#previous = luma;
    return { histogram: counts.map((count) => count / n), motion };
  }

  #motion(luma: Uint8Array): number {
    const previous = this.#previous;
    if (previous === undefined || previous.length !== luma.length) return 0;
    let sum = 0;
    for (let i = 0; i < luma.length; i++) sum += Math.abs(luma[i]! - previous[i]!);
    return sum / luma.length / 255;
  }
}

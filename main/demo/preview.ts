/**
 * The window's preview: a copy of a frame scaled down by a whole factor to
 * at most PREVIEW_MAX_WIDTH pixels wide, by taking every n-th pixel of
 * every n-th row. It is the only part of a frame that leaves shared memory
 * for the renderer, so it is kept small (640 × 360 × 4 = 0.9 MB).
 */
export const PREVIEW_MAX_WIDTH = 640;

export function scaledPreview(pixels: Uint8Array, width: number, height: number): { width: number; height: number; pixels: Uint8Array } {
  const factor = Math.ceil(width / PREVIEW_MAX_WIDTH);
  const outWidth = Math.floor(width / factor);
  const outHeight = Math.floor(height / factor);
  const source = new Uint32Array(pixels.buffer, pixels.byteOffset, width * height);
  const scaled = new Uint32Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const from = y * factor * width;
    const to = y * outWidth;
    if (factor === 1) scaled.set(source.subarray(from, from + width), to);
    else for (let x = 0; x < outWidth; x++) scaled[to + x] = source[from + x * factor]!;
  }
  return { width: outWidth, height: outHeight, pixels: new Uint8Array(scaled.buffer) };
}

/**
 * The demo's synthetic video: scrolling colour bars and a bouncing square
 * under two bands of 32 black-or-white cells. The first band is the frame
 * number, the second a checksum of the picture below it, both as bits, most
 * significant first. The cells are large (1/32 of the width, 1/20 of the
 * height) so that the number still reads back from a scaled-down preview;
 * the checksum tells a whole frame from a torn or stale one.
 *
 * Frames are RGBA with packed rows (the demo's channel format).
 */
import { lumaAt } from './luma-analysis.js';

const BITS = 32;
const BAND_FRACTION = 20;
/** Rows of the picture that the checksum covers: every 4th, all columns. */
const CHECKSUM_ROW_STEP = 4;

const BAR_COLOURS = [0xffc0c0c0, 0xff00c0c0, 0xffc0c000, 0xff00c000, 0xffc000c0, 0xff0000c0, 0xffc00000, 0xff202020];
const WHITE = 0xffffffff;
const BLACK = 0xff000000;
const SQUARE = 0xff30a0ff;

export interface PatternGeometry {
  width: number;
  height: number;
}

/** Smallest frame the pattern fits in. */
export const MIN_PATTERN_WIDTH = BITS * 2;
export const MIN_PATTERN_HEIGHT = BAND_FRACTION * 2;

function cellWidth(width: number): number {
  return Math.floor(width / BITS);
}

function bandHeight(height: number): number {
  return Math.floor(height / BAND_FRACTION);
}

function words(pixels: Uint8Array): Uint32Array {
  return new Uint32Array(pixels.buffer, pixels.byteOffset, pixels.byteLength >>> 2);
}

/** Draws frame `frameNumber` into `pixels` (width × height RGBA). */
export function drawPattern(pixels: Uint8Array, { width, height }: PatternGeometry, frameNumber: number): void {
  const w = words(pixels);
  const pictureTop = 2 * bandHeight(height);
  drawBars(w, width, pictureTop, height, frameNumber);
  drawSquare(w, width, pictureTop, height, frameNumber);
  drawBand(w, width, height, 0, frameNumber);
  drawBand(w, width, height, 1, pictureChecksum(w, width, height));
}

function drawBars(w: Uint32Array, width: number, top: number, height: number, frameNumber: number): void {
  const barWidth = Math.max(1, Math.floor(width / BAR_COLOURS.length));
  const shift = (frameNumber * 4) % width;
  const firstRow = w.subarray(top * width, (top + 1) * width);
  for (let x = 0; x < width; x++) {
    firstRow[x] = BAR_COLOURS[Math.floor(((x + shift) % width) / barWidth) % BAR_COLOURS.length]!;
  }
  for (let y = top + 1; y < height; y++) w.copyWithin(y * width, top * width, (top + 1) * width);
}

function drawSquare(w: Uint32Array, width: number, top: number, height: number, frameNumber: number): void {
  const side = Math.max(1, Math.floor((height - top) / 4));
  const x = bounce(frameNumber * 3, width - side);
  const y = top + bounce(frameNumber * 2, height - top - side);
  for (let row = y; row < y + side; row++) w.fill(SQUARE, row * width + x, row * width + x + side);
}

/** Position on a path that goes from 0 to `span` and back. */
function bounce(step: number, span: number): number {
  if (span <= 0) return 0;
  const phase = step % (2 * span);
  return phase <= span ? phase : 2 * span - phase;
}

function drawBand(w: Uint32Array, width: number, height: number, band: number, value: number): void {
  const cell = cellWidth(width);
  const rows = bandHeight(height);
  for (let row = band * rows; row < (band + 1) * rows; row++) {
    const start = row * width;
    for (let bit = 0; bit < BITS; bit++) {
      const on = (value >>> (BITS - 1 - bit)) & 1;
      w.fill(on ? WHITE : BLACK, start + bit * cell, start + (bit + 1) * cell);
    }
    w.fill(BLACK, start + BITS * cell, start + width);
  }
}

function pictureChecksum(w: Uint32Array, width: number, height: number): number {
  let hash = 0x811c9dc5;
  for (let y = 2 * bandHeight(height); y < height; y += CHECKSUM_ROW_STEP) {
    const end = (y + 1) * width;
    for (let i = y * width; i < end; i++) hash = Math.imul(hash ^ w[i]!, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Reads band `band` of an RGBA image with `stride` bytes per row: each
 * cell's centre is 1 when it is bright. Works on a scaled copy of a frame
 * as long as the copy keeps its proportions.
 */
function readBand(rgba: Uint8Array, width: number, height: number, stride: number, band: number): number {
  const cell = cellWidth(width);
  const rows = bandHeight(height);
  const y = band * rows + Math.floor(rows / 2);
  let value = 0;
  for (let bit = 0; bit < BITS; bit++) {
    const i = y * stride + (bit * cell + Math.floor(cell / 2)) * 4;
    value = ((value << 1) | (lumaAt(rgba, i) > 127 ? 1 : 0)) >>> 0;
  }
  return value;
}

/** The frame number drawn in an image of the pattern, or of a scaled copy of one. */
export function readFrameNumber(rgba: Uint8Array, width: number, height: number, stride = width * 4): number {
  return readBand(rgba, width, height, stride, 0);
}

/**
 * Null when `pixels` is a whole frame of the pattern: its checksum band
 * matches the picture. Otherwise what is wrong.
 */
export function checkPatternFrame(pixels: Uint8Array, { width, height }: PatternGeometry, expectedFrameNumber: number): string | null {
  const drawn = readFrameNumber(pixels, width, height);
  if (drawn !== expectedFrameNumber >>> 0) return `the pixels say frame ${drawn}, the metadata ${expectedFrameNumber}`;
  const sum = pictureChecksum(words(pixels), width, height);
  const stored = readBand(pixels, width, height, width * 4, 1);
  return sum === stored ? null : `checksum ${stored} in the pixels is not the picture's ${sum}`;
}

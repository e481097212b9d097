/**
 * Pixel formats of a frame channel, and where each plane of a frame lies.
 */
import { invalidValue } from './errors.js';
import { integerIn } from './validate.js';

export type PixelFormat = 'rgba' | 'bgra' | 'nv12' | 'i420';

/** The formats, in the order of their codes in the shared header. */
export const PIXEL_FORMATS: readonly PixelFormat[] = ['rgba', 'bgra', 'nv12', 'i420'];

/** Largest width or height of a frame. */
export const MAX_FRAME_DIMENSION = 16384;

/** One plane of a frame: rows of `rowBytes` meaningful bytes, `stride` apart. */
export interface PlaneLayout {
  /** 'rgba' / 'bgra' for packed formats; 'y', 'uv', 'u', 'v' for planar ones. */
  name: string;
  /** Bytes from the start of the frame. */
  offset: number;
  /** Bytes from one row to the next. */
  stride: number;
  /** Bytes of pixels in each row. */
  rowBytes: number;
  rows: number;
  /** stride × rows. */
  size: number;
}

export interface FrameLayout {
  width: number;
  height: number;
  format: PixelFormat;
  /** Stride of the first plane (the only one, for rgba and bgra). */
  stride: number;
  planes: readonly PlaneLayout[];
  /** Bytes of one frame: all its planes. */
  frameSize: number;
}

function plane(name: string, offset: number, rowBytes: number, rows: number): PlaneLayout {
  // Rows are packed: a stride other than the row's bytes would only waste
  // memory here, and canvas ImageData and most encoders expect packed rows.
  return { name, offset, stride: rowBytes, rowBytes, rows, size: rowBytes * rows };
}

/** Checks width, height and format together and lays the frame out. */
export function frameLayout(width: unknown, height: unknown, format: unknown): FrameLayout {
  integerIn('options.width', width, 1, MAX_FRAME_DIMENSION);
  integerIn('options.height', height, 1, MAX_FRAME_DIMENSION);
  if (!PIXEL_FORMATS.includes(format as PixelFormat)) {
    throw invalidValue('options.format', `one of ${PIXEL_FORMATS.join(', ')}`, format);
  }
  const w = width as number;
  const h = height as number;
  const f = format as PixelFormat;
  let planes: PlaneLayout[];
  if (f === 'rgba' || f === 'bgra') {
    planes = [plane(f, 0, w * 4, h)];
  } else {
    // 4:2:0 chroma: one sample per 2×2 pixels, so both sizes must be even.
    if (w % 2 !== 0) throw invalidValue('options.width', `an even number for ${f}`, w);
    if (h % 2 !== 0) throw invalidValue('options.height', `an even number for ${f}`, h);
    const luma = plane('y', 0, w, h);
    planes =
      f === 'nv12'
        ? [luma, plane('uv', luma.size, w, h / 2)]
        : [luma, plane('u', luma.size, w / 2, h / 2), plane('v', luma.size + (w / 2) * (h / 2), w / 2, h / 2)];
  }
  const last = planes[planes.length - 1]!;
  return { width: w, height: h, format: f, stride: planes[0]!.stride, planes, frameSize: last.offset + last.size };
}

/** Views of each plane of a frame whose bytes are `pixels`. */
export function planeViews(layout: FrameLayout, pixels: Uint8Array): Uint8Array[] {
  return layout.planes.map((p) => pixels.subarray(p.offset, p.offset + p.size));
}

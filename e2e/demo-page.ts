/**
 * Reading the demo window the way a person would: the figures, the rows
 * of the process table, and the pixels of the preview canvas.
 */
import { expect, type Page } from '@playwright/test';
import { readFrameNumber } from '../main/demo/test-pattern';

export interface AnalyzerRow {
  id: number;
  pid: number;
  state: string;
  stateText: string;
  size: string;
  received: number;
  checked: number;
  integrityErrors: number;
  skipped: number;
  motion: number;
}

export async function figure(page: Page, name: string): Promise<number> {
  const value = await page.locator(`[data-figure="${name}"]`).getAttribute('data-value');
  if (value === null || value === '') return Number.NaN;
  return Number(value);
}

export async function analyzerRows(page: Page): Promise<AnalyzerRow[]> {
  return page.locator('#analyzers tbody tr').evaluateAll((rows) =>
    rows.map((row) => {
      const tr = row as HTMLElement;
      const field = (name: string): HTMLElement => tr.querySelector(`[data-field="${name}"]`) as HTMLElement;
      const number = (name: string): number => Number(field(name).dataset['value']);
      return {
        id: Number(tr.dataset['analyzerId']),
        pid: Number(tr.dataset['pid']),
        state: tr.dataset['state'] ?? '',
        stateText: field('state').textContent ?? '',
        size: field('size').textContent ?? '',
        received: number('received'),
        checked: number('checked'),
        integrityErrors: number('integrityErrors'),
        skipped: number('skipped'),
        motion: number('motion'),
      };
    }),
  );
}

export async function runningAnalyzers(page: Page): Promise<AnalyzerRow[]> {
  return (await analyzerRows(page)).filter((row) => row.state === 'running');
}

export interface CanvasImage {
  width: number;
  height: number;
  rgba: Buffer;
}

/** The preview canvas's pixels, as the page holds them. */
export async function canvasImage(page: Page): Promise<CanvasImage> {
  const { width, height, base64 } = await page.locator('#preview').evaluate((element) => {
    const canvas = element as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let binary = '';
    for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { width: canvas.width, height: canvas.height, base64: btoa(binary) };
  });
  return { width, height, rgba: Buffer.from(base64, 'base64') };
}

/** The frame number drawn in the test pattern on the canvas. */
export function frameNumberOf(image: CanvasImage): number {
  return readFrameNumber(image.rgba, image.width, image.height);
}

/** Waits until the preview has shown a frame. */
export async function waitForVideo(page: Page): Promise<void> {
  await expect(page.locator('#preview-caption')).toHaveAttribute('data-frame-number', /\d+/);
}

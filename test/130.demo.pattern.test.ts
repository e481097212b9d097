// The demo's frame arithmetic: the test pattern and its integrity check
// (which the end-to-end tests rely on to find zero errors, so it must find
// real ones), the preview's scaling, the luma figures and the rates.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LumaAnalysis } from '../main/demo/luma-analysis';
import { scaledPreview } from '../main/demo/preview';
import { RESOLUTIONS } from '../main/demo/protocol';
import { percentile, RateMeter } from '../main/demo/rates';
import { checkPatternFrame, drawPattern, readFrameNumber, type PatternGeometry } from '../main/demo/test-pattern';

const SMALL = RESOLUTIONS['640x360'];

function frame(frameNumber: number, geometry: PatternGeometry = SMALL): Uint8Array {
  const pixels = new Uint8Array(geometry.width * geometry.height * 4);
  drawPattern(pixels, geometry, frameNumber);
  return pixels;
}

describe("the demo's place", () => {
  it('Tests that the demo imports the library only by its package name, as an app does', () => {
    const dir = path.join(__dirname, '..', 'main', 'demo');
    const files = fs.readdirSync(dir).filter((file) => file.endsWith('.ts'));
    assert.ok(files.length > 10, 'no demo files found: the check would prove nothing');
    const outside: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      for (const [, specifier] of text.matchAll(/(?:from|import\(|require\()\s*['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('.') && !specifier!.startsWith('./')) outside.push(`${file}: ${specifier}`);
      }
    }
    assert.deepEqual(outside, []);
    assert.ok(fs.readFileSync(path.join(dir, 'pipeline.ts'), 'utf8').includes("from 'electron-shm'"));
  });
});

describe('the test pattern', () => {
  it('Tests that a drawn frame passes the check and carries its frame number', () => {
    for (const n of [0, 1, 4095, 0xfffffffe]) {
      const pixels = frame(n);
      assert.equal(readFrameNumber(pixels, SMALL.width, SMALL.height), n);
      assert.equal(checkPatternFrame(pixels, SMALL, n), null);
    }
  });

  it('Tests that consecutive frames differ (the video moves)', () => {
    assert.notDeepEqual(frame(10), frame(11));
  });

  it('Tests that a torn frame, half of it from the next frame, fails the check', () => {
    const torn = frame(20);
    const next = frame(21);
    torn.set(next.subarray(torn.length / 2), torn.length / 2);
    assert.match(checkPatternFrame(torn, SMALL, 20) ?? '', /checksum/);
  });

  it('Tests that a frame whose metadata names another frame fails the check', () => {
    assert.match(checkPatternFrame(frame(30), SMALL, 31) ?? '', /the pixels say frame 30/);
  });

  it('Tests that one changed pixel in a checked row fails the check', () => {
    const pixels = frame(40);
    const row = 2 * Math.floor(SMALL.height / 20) + 4;
    pixels[(row * SMALL.width + 100) * 4] ^= 0xff;
    assert.notEqual(checkPatternFrame(pixels, SMALL, 40), null);
  });

  it("Tests that the frame number reads back from every resolution's preview", () => {
    for (const geometry of Object.values(RESOLUTIONS)) {
      const preview = scaledPreview(frame(123456, geometry), geometry.width, geometry.height);
      assert.deepEqual([preview.width, preview.height], [640, 360]);
      assert.equal(readFrameNumber(preview.pixels, preview.width, preview.height), 123456);
    }
  });
});

describe('the analyzers figures', () => {
  it('Tests that the histogram sums to 1 and motion is 0 for a still picture, above 0 for a moving one', () => {
    const analysis = new LumaAnalysis();
    const first = analysis.analyze(frame(1), SMALL.width, SMALL.height);
    assert.equal(first.histogram.length, 16);
    assert.ok(Math.abs(first.histogram.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.equal(first.motion, 0);
    assert.equal(analysis.analyze(frame(1), SMALL.width, SMALL.height).motion, 0);
    assert.ok(analysis.analyze(frame(50), SMALL.width, SMALL.height).motion > 0);
  });

  it('Tests that a black frame falls in the first bin only', () => {
    const black = new Uint8Array(SMALL.width * SMALL.height * 4);
    assert.deepEqual(new LumaAnalysis().analyze(black, SMALL.width, SMALL.height).histogram, [1, ...new Array(15).fill(0)]);
  });

  it('Tests that a rate is the count over the last second, and 0 once the counting stops', () => {
    const meter = new RateMeter();
    for (let t = 0; t <= 2000; t += 250) meter.add(t / 10, t); // 100 a second
    assert.equal(meter.perSecond(2000), 100);
    assert.equal(meter.perSecond(3500), 0);
    assert.equal(percentile([], 0.5), null);
    assert.equal(percentile([1, 2, 3, 4], 0.5), 3);
    assert.equal(percentile([1, 2, 3, 4], 0.99), 4);
  });
});

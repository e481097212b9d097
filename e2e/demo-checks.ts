/**
 * What the demo must do, written once and run against both hosts: the web
 * host in Chromium (web.spec.ts) and the Electron app (electron.spec.ts).
 */
import { expect, type Page } from '@playwright/test';
import { makeClip, processGone, type DemoLaunch, type RunningDemo } from './demo-hosts';
import { analyzerRows, canvasImage, figure, frameNumberOf, runningAnalyzers, waitForVideo } from './demo-page';

export interface DemoUnderTest {
  page: Page;
  demo: RunningDemo;
  /** Saves a screenshot of the window as e2e/screenshots/<host>-<name>.png. */
  screenshot(name: string): Promise<void>;
}

export interface DemoCheck {
  title: string;
  /** How the demo is started; `dir` is the test's own scratch folder. */
  launch(dir: string): DemoLaunch;
  run(app: DemoUnderTest): Promise<void>;
}

/** Fast enough that 300 frames take seconds, slow enough for 2 cores at 4K. */
const BASE_ARGS = ['--fps', '60', '--analyzers', '2'];
const pattern = (): DemoLaunch => ({ args: BASE_ARGS });

async function expectRunningCount(page: Page, count: number): Promise<void> {
  await expect.poll(async () => (await runningAnalyzers(page)).length, { message: 'running analyzers' }).toBe(count);
}

/** Waits until every running analyzer has received `more` frames beyond what it had. */
async function expectAnalyzersProgress(page: Page, more: number): Promise<void> {
  const before = new Map((await runningAnalyzers(page)).map((row) => [row.pid, row.received]));
  await expect
    .poll(async () => (await runningAnalyzers(page)).every((row) => row.received >= (before.get(row.pid) ?? 0) + more), {
      message: `every running analyzer receives ${more} more frames`,
    })
    .toBe(true);
}

export const DEMO_CHECKS: DemoCheck[] = [
  {
    title: 'the window shows moving video whose frame number, read from its pixels, increases',
    launch: pattern,
    async run({ page, screenshot }) {
      await waitForVideo(page);
      const first = await canvasImage(page);
      await expect.poll(async () => frameNumberOf(await canvasImage(page)), { message: 'frame number on the canvas' }).toBeGreaterThan(frameNumberOf(first));
      const second = await canvasImage(page);
      expect(second.rgba.equals(first.rgba), 'two samples of the canvas are different pictures').toBe(false);
      await screenshot('video');
    },
  },
  {
    title: 'the page has only the named functions of the bridge, and they refuse bad arguments with a code',
    launch: pattern,
    async run({ page, screenshot }) {
      type PageWithDemo = { demo: Record<string, (...args: unknown[]) => Promise<unknown>> };
      expect(await page.evaluate(() => Object.keys((window as unknown as PageWithDemo).demo).sort())).toEqual(
        ['addAnalyzer', 'nextPreview', 'onStats', 'removeAnalyzer', 'setFps', 'setPaused', 'setResolution', 'stats'],
      );
      expect(await page.evaluate(() => [typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process])).toEqual(['undefined', 'undefined']);
      const refusal = (call: string, args: unknown[]): Promise<string> =>
        page.evaluate(
          ([call, args]) => (window as unknown as PageWithDemo).demo[call as string]!(...(args as unknown[])).then(() => 'accepted', (error: Error) => error.message),
          [call, args] as const,
        );
      expect(await refusal('setFps', [0])).toMatch(/\[ERR_OUT_OF_RANGE\]$/);
      expect(await refusal('setResolution', ['8k'])).toMatch(/\[ERR_INVALID_ARG_VALUE\]$/);
      expect(await refusal('setPaused', ['yes'])).toMatch(/\[ERR_INVALID_ARG_TYPE\]$/);
      await screenshot('bridge');
    },
  },
  {
    title: 'every analyzer checks at least 300 frames with no integrity error',
    launch: pattern,
    async run({ page, screenshot }) {
      await expectRunningCount(page, 2);
      await expect
        .poll(async () => Math.min(...(await runningAnalyzers(page)).map((row) => row.checked)), { message: 'frames checked by the slowest analyzer', timeout: 40_000 })
        .toBeGreaterThanOrEqual(300);
      for (const row of await analyzerRows(page)) expect(row.integrityErrors, `analyzer #${row.id}'s integrity errors`).toBe(0);
      expect(await figure(page, 'integrityErrors')).toBe(0);
      expect(await figure(page, 'sharedMBPerSecond')).toBeGreaterThan(0);
      expect(await figure(page, 'latencyMedianUs')).toBeGreaterThan(0);
      await screenshot('integrity');
    },
  },
  {
    title: "a resolution change reaches the analyzers' frames, up to 4K, still whole",
    launch: pattern,
    async run({ page, screenshot }) {
      await expectRunningCount(page, 2);
      for (const [name, size] of [['1080p', '1920 × 1080'], ['4k', '3840 × 2160'], ['640x360', '640 × 360']] as const) {
        await page.selectOption('#resolution', name);
        await expect.poll(async () => (await runningAnalyzers(page)).map((row) => row.size), { message: `analyzers' frame size after choosing ${name}` }).toEqual([size, size]);
        await expectAnalyzersProgress(page, 10);
        if (name === '4k') await screenshot('4k');
      }
      expect(await figure(page, 'integrityErrors')).toBe(0);
      await waitForVideo(page);
      const image = await canvasImage(page);
      expect([image.width, image.height]).toEqual([640, 360]);
    },
  },
  {
    title: 'the frame rate control sets how many frames the producer sends',
    launch: pattern,
    async run({ page, screenshot }) {
      await expect.poll(() => figure(page, 'producedPerSecond'), { message: 'frames produced per second at 60 fps' }).toBeGreaterThan(40);
      await page.selectOption('#fps', '5');
      await expect.poll(() => figure(page, 'producedPerSecond'), { message: 'frames produced per second at 5 fps' }).toBeLessThan(7);
      const start = await figure(page, 'produced');
      await page.waitForTimeout(2000);
      const sent = (await figure(page, 'produced')) - start;
      expect(sent, 'frames sent in 2 s at 5 fps').toBeGreaterThanOrEqual(5);
      expect(sent, 'frames sent in 2 s at 5 fps').toBeLessThanOrEqual(15);
      await page.selectOption('#fps', '30');
      await expect.poll(() => figure(page, 'producedPerSecond'), { message: 'frames produced per second at 30 fps' }).toBeGreaterThan(20);
      await screenshot('fps');
    },
  },
  {
    title: 'pause stops the frame count and resume starts it again',
    launch: pattern,
    async run({ page, screenshot }) {
      await expect.poll(() => figure(page, 'produced')).toBeGreaterThan(0);
      await page.click('#pause');
      await expect(page.locator('#pause')).toHaveAttribute('data-paused', 'true');
      await page.waitForTimeout(600); // a report already on its way may still count up
      const paused = await figure(page, 'produced');
      await page.waitForTimeout(1500);
      expect(await figure(page, 'produced'), 'frames produced while paused').toBe(paused);
      await screenshot('paused');
      await page.click('#pause');
      await expect(page.locator('#pause')).toHaveAttribute('data-paused', 'false');
      await expect.poll(() => figure(page, 'produced'), { message: 'frames produced after resuming' }).toBeGreaterThan(paused);
    },
  },
  {
    title: 'adding an analyzer starts a process that reports; removing one stops it',
    launch: pattern,
    async run({ page, demo, screenshot }) {
      await expectRunningCount(page, 2);
      const before = (await runningAnalyzers(page)).map((row) => row.pid);
      await page.click('#add-analyzer');
      await expectRunningCount(page, 3);
      const added = (await runningAnalyzers(page)).find((row) => !before.includes(row.pid))!;
      expect(demo.workerPids()).toContain(added.pid);
      expect(processGone(added.pid)).toBe(false);
      await expect.poll(async () => (await runningAnalyzers(page)).find((row) => row.pid === added.pid)?.received ?? 0, { message: 'frames the new analyzer received' }).toBeGreaterThan(30);
      await screenshot('three-analyzers');
      await page.click('#remove-analyzer');
      await expectRunningCount(page, 2);
      await expect.poll(() => processGone(added.pid), { message: 'the removed analyzer has exited' }).toBe(true);
      expect((await runningAnalyzers(page)).map((row) => row.pid).sort()).toEqual([...before].sort());
    },
  },
  {
    title: 'an analyzer killed by its pid is shown as ended, and the rest keep running',
    launch: pattern,
    async run({ page, screenshot }) {
      await expectRunningCount(page, 2);
      const [victim, survivor] = await runningAnalyzers(page);
      process.kill(victim!.pid, 'SIGKILL');
      await expect
        .poll(async () => (await analyzerRows(page)).find((row) => row.pid === victim!.pid)?.state, { message: "the killed analyzer's state in the window" })
        .toBe('ended');
      const producedBefore = await figure(page, 'produced');
      await expectAnalyzersProgress(page, 60);
      expect((await runningAnalyzers(page)).map((row) => row.pid)).toEqual([survivor!.pid]);
      expect(await figure(page, 'produced')).toBeGreaterThan(producedBefore);
      expect(await figure(page, 'integrityErrors')).toBe(0);
      await screenshot('analyzer-killed');
    },
  },
  {
    title: 'with --video the analyzers receive a real video decoded by ffmpeg',
    launch: (dir) => ({ args: [...BASE_ARGS, '--video', makeClip(dir)] }),
    async run({ page, screenshot }) {
      await expect(page.locator('#producer')).toContainText('decoding a video file with ffmpeg');
      await expectRunningCount(page, 2);
      await expectAnalyzersProgress(page, 60);
      await waitForVideo(page);
      const first = await canvasImage(page);
      await expect.poll(async () => (await canvasImage(page)).rgba.equals(first.rgba), { message: 'the video moves' }).toBe(false);
      for (const row of await runningAnalyzers(page)) {
        expect(row.checked, 'a video carries no pattern to check').toBe(0);
        expect(row.integrityErrors).toBe(0);
      }
      await expect.poll(async () => Math.max(...(await runningAnalyzers(page)).map((row) => row.motion)), { message: 'motion measured in the video' }).toBeGreaterThan(0);
      await screenshot('video-file');
    },
  },
  {
    title: 'with --video and no ffmpeg on PATH the window says what is missing',
    launch: (dir) => ({ args: [...BASE_ARGS, '--video', makeClip(dir)], env: { ...process.env, PATH: dir } }),
    async run({ page, screenshot }) {
      await expect(page.locator('#producer')).toContainText('ffmpeg was not found on PATH');
      await screenshot('no-ffmpeg');
    },
  },
];

/**
 * The demo's end-to-end tests. The web host's specs run in Debian's
 * Chromium (installed by .ci/run; Playwright's own browser download is
 * not reachable here); the Electron specs run wherever Electron's binary
 * is installed, and are reported as skipped elsewhere.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  outputDir: '../test-results/e2e',
  // Each test starts its own demo: real processes, one at a time on 2 cores.
  workers: 1,
  fullyParallel: false,
  // One retry: the demo runs real processes against the clock in a real
  // browser. A test that passes only on its retry is reported as flaky,
  // with its first failure, by Playwright and by npm test's summary
  // (scripts/test-summary.js), never as a plain pass.
  retries: 1,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  // npm test (scripts/test-all.sh) asks for a JSON report too, for its summary.
  reporter: [
    ['list'],
    ['./skip-reasons-reporter.ts'],
    ...(process.env['ESHM_RESULTS_DIR'] ? [['json', { outputFile: `${process.env['ESHM_RESULTS_DIR']}/e2e.json` }] as const] : []),
  ],
  use: {
    browserName: 'chromium',
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      // No sandbox (CI runs as root); no connections of Chromium's own,
      // which a machine without a network refuses.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});

/**
 * The demo in Electron (`npm run demo`), driven by Playwright's _electron:
 * the same checks as the web host's. Where Electron's binary is not
 * installed (it is downloaded from GitHub, which CI cannot reach), every
 * test here is reported as skipped, with the reason, never as passed.
 */
import { test } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_CHECKS } from './demo-checks';
import { ROOT, electronBinary, startElectronApp } from './demo-hosts';

const SCREENSHOTS = path.join(ROOT, 'e2e', 'screenshots');
const NO_ELECTRON =
  "Electron's binary is not installed (`npm run demo` fetches it on first use, from GitHub); the same checks ran against the web host";

test.describe('demo, Electron', () => {
  test.skip(electronBinary() === null, NO_ELECTRON);
  for (const check of DEMO_CHECKS) {
    test(check.title, async ({}, testInfo) => {
      const demo = await startElectronApp(check.launch(testInfo.outputPath()));
      try {
        await check.run({
          page: demo.page,
          demo,
          screenshot: async (name) => {
            fs.mkdirSync(SCREENSHOTS, { recursive: true });
            await demo.page.screenshot({ path: path.join(SCREENSHOTS, `electron-${name}.png`) });
          },
        });
      } finally {
        await demo.stop();
      }
    });
  }
});

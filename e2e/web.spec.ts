/** The demo under the web host (`npm run demo:web`), in Debian's Chromium. */
import { test } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_CHECKS } from './demo-checks';
import { ROOT, startWebDemo } from './demo-hosts';

const SCREENSHOTS = path.join(ROOT, 'e2e', 'screenshots');

test.describe('demo, web host', () => {
  for (const check of DEMO_CHECKS) {
    test(check.title, async ({ page }, testInfo) => {
      const demo = await startWebDemo(check.launch(testInfo.outputPath()));
      try {
        await page.goto(demo.url);
        await check.run({
          page,
          demo,
          screenshot: async (name) => {
            fs.mkdirSync(SCREENSHOTS, { recursive: true });
            await page.screenshot({ path: path.join(SCREENSHOTS, `web-${name}.png`) });
          },
        });
      } finally {
        await page.close();
        await demo.stop();
      }
    });
  }
});

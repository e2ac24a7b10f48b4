import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

/**
 * Browser tests of the viewer in Debian's Chromium (Playwright's own browser downloads do not work
 * here; `npm test` installs chromium through apt when missing). One worker: the machine has 2 cores.
 */
const HUB_PORT = Number(process.env.BROWSER_TEST_HUB_PORT ?? 8099);
const STATIC_PORT = Number(process.env.BROWSER_TEST_STATIC_PORT ?? 8098);
const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: `${root}/test-results/browser`,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${HUB_PORT}`,
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    acceptDownloads: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  webServer: {
    command: 'npx tsx test/browser/serve-hub.ts',
    cwd: root,
    url: `http://127.0.0.1:${HUB_PORT}/v1/info`,
    env: { PORT: String(HUB_PORT), STATIC_PORT: String(STATIC_PORT), DEMO_EVERY_MS: '2500', TRACE_MAX_EVENTS_PER_USER: '200' },
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'pipe',
  },
  metadata: { staticUrl: `http://127.0.0.1:${STATIC_PORT}` },
});

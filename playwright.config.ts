import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests: the renderer in Debian's Chromium against browser mode
 * (DESIGN.md decision 2; Electron cannot be downloaded on the build machines).
 * The tests start real registries and the real engine in-process, so they run
 * one at a time with generous timeouts on a 2-core machine.
 */
export default defineConfig({
  testDir: 'tests/e2e',
  // Playwright empties its output folder at start; screenshots go beside it, under test-results/screens.
  outputDir: 'test-results/playwright',
  fullyParallel: false,
  workers: 1,
  timeout: 240_000,
  expect: { timeout: 30_000 },
  reporter: [['list'], ['./tests/e2e/summary-reporter.ts']],
  use: {
    headless: true,
    viewport: { width: 1280, height: 900 },
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium, not a downloaded build: no network at test time.
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    },
  },
});

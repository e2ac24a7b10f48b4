import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { viewerFiles } from '../../server/src/http/viewer-files.ts';
import { ensureViewerBuilt } from '../../viewer/build-if-stale.ts';
import { generateTrace } from './gen-trace.ts';

/**
 * How fast the viewer opens a big trace file, in Debian's Chromium, with no hub: from choosing the
 * file to the first frame showing its rows (read, parse, derive, render), then how smooth it stays
 * (scrolling the whole list, a text search over every payload, jumping to an event near the end
 * with the state of every device). `tsx test/browser/measure-import.ts [events]` (default 100000).
 */
const count = Number(process.argv[2] ?? 100_000);
const file = fileURLToPath(new URL(`../../test-results/trace-${count}.ndjson`, import.meta.url));
if (!existsSync(file))
  writeFileSync(
    file,
    generateTrace(count)
      .map((e) => JSON.stringify(e))
      .join('\n') + '\n',
  );
await ensureViewerBuilt();
const files = viewerFiles(fileURLToPath(new URL('../../viewer/dist', import.meta.url)));
const server = createServer((req, res) => void files({ req, res, url: new URL(req.url ?? '/', 'http://x'), params: {} }));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.getByTestId('signin-import').setInputFiles(file);
  await page.getByTestId('import-metrics').waitFor({ timeout: 120_000 });
  const load = await page.evaluate(
    () => (window as unknown as { __handoff: { lastImport: Record<string, number> } }).__handoff.lastImport,
  );

  // Scroll from top to bottom in 100 jumps, one per frame; record frame-to-frame times.
  const scroll = await page.evaluate(async () => {
    const el = document.querySelector('.scroller')!;
    const frames: number[] = [];
    let last = performance.now();
    for (let i = 0; i <= 100; i++) {
      el.scrollTop = (el.scrollHeight * i) / 100;
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      const now = performance.now();
      frames.push(now - last);
      last = now;
    }
    frames.sort((a, b) => a - b);
    return {
      frames: frames.length,
      p50: frames[Math.floor(frames.length / 2)]!,
      p95: frames[Math.floor(frames.length * 0.95)]!,
      max: frames[frames.length - 1]!,
    };
  });

  // A free-text search over every payload (the first one builds the search text), then a second.
  const search = async (text: string) => {
    const started = Date.now();
    await page.getByLabel('Search').fill(text);
    await page.locator('.lane-head .col.sum', { hasText: 'match' }).waitFor();
    return Date.now() - started;
  };
  const firstSearchMs = await search('dev-car');
  const secondSearchMs = await search('tr-bench-777');
  await page.getByLabel('Search').fill('');
  await page.getByLabel('Search').press('Escape');

  // Select an event near the end: detail with the state of every device at that moment.
  const jumpStarted = Date.now();
  await page.keyboard.press('End');
  await page.locator('.devtable tbody tr').first().waitFor();
  const jumpMs = Date.now() - jumpStarted;

  const round = (v: number) => Math.round(v * 10) / 10;
  const result = {
    events: load.events,
    fileMB: round(Number((await import('node:fs')).statSync(file).size) / 1e6),
    renderMs: Math.round(load.totalMs!),
    readMs: Math.round(load.readMs!),
    parseMs: Math.round(load.parseMs!),
    deriveMs: Math.round(load.deriveMs!),
    scrollFrameMs: { p50: round(scroll.p50), p95: round(scroll.p95), max: round(scroll.max) },
    firstSearchMs,
    secondSearchMs,
    jumpToEndWithDeviceStatesMs: jumpMs,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await browser.close();
  server.close();
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';

/**
 * The viewer in a real browser against a real hub with simulated devices (serve-hub.ts): `demo`
 * passes playback around every few seconds, `bob`'s household is quiet until the test acts.
 * Screenshots of the main views go to test-results/screens/.
 */
const STATIC = `http://127.0.0.1:${process.env.BROWSER_TEST_STATIC_PORT ?? 8098}`;
const SCREENS = fileURLToPath(new URL('../../test-results/screens/', import.meta.url));

/** What the viewer exposes for tests and measurements (see viewer/src/ui/App.tsx). */
interface ViewerHandle {
  store: { events: Array<{ seq: number; userId: string }> };
}
type WithHandle = Window & { __handoff: ViewerHandle };

const eventCount = async (page: Page) => Number((await page.getByTestId('event-count').innerText()).replace(/,/g, ''));
/** Pixels the lane canvas paints across the middle of the first row matching `selector`. */
const paintedAcrossRow = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    const canvas = document.querySelector<HTMLCanvasElement>('.lane-glyphs');
    const row = document.querySelector<HTMLElement>(sel);
    if (!canvas || !row) return 0;
    const y = Math.round((row.getBoundingClientRect().top - canvas.getBoundingClientRect().top + 11) * devicePixelRatio);
    if (y < 0 || y >= canvas.height) return 0;
    const data = canvas.getContext('2d')!.getImageData(0, y, canvas.width, 1).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
    return painted;
  }, selector);

const shot = (page: Page, name: string) => page.screenshot({ path: `${SCREENS}${name}.png` });

test('sign in as a dev user and watch live events arrive from the sim fleet', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('hub-state')).toContainText('dev mode');
  await shot(page, 'sign-in');
  await page.getByLabel('User id').fill('demo');
  await page.getByRole('button', { name: 'Watch demo live' }).click();
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  await expect(page.getByTestId('view-user')).toHaveText('demo');
  await expect.poll(() => eventCount(page)).toBeGreaterThan(10);
  const before = await eventCount(page);
  // The demo moves playback every few seconds: new events keep coming without a reload.
  await expect.poll(() => eventCount(page), { timeout: 15_000 }).toBeGreaterThan(before);
  // Messages are drawn as arrows between the hub lane and the device lanes; all four devices have a lane.
  await expect(page.locator('.lane-name')).toHaveCount(5);
  // The lane canvas draws a message row's arrow across the lanes: far more of its pixel row is
  // painted than the lifelines alone would paint.
  await expect.poll(() => paintedAcrossRow(page, '.row.k-message-out')).toBeGreaterThan(30);
  await expect(page.getByLabel('Cluster').locator('.device-list li')).toHaveCount(4);
  await expect(page.getByLabel('Now playing')).toBeVisible();
  await shot(page, 'live');
});

test('a transfer sent from the controller panel shows up with its phases', async ({ page }) => {
  await page.goto('/?user=bob');
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  const controller = page.getByLabel('Controller');
  await expect(controller.getByLabel('Target device').locator('option')).toHaveCount(4);
  const cluster = page.getByLabel('Cluster');
  await expect(cluster.locator('li.active')).toHaveCount(1);
  const active = await cluster.locator('li.active').getAttribute('data-device');
  const target = ['demo-speaker', 'demo-tv', 'demo-car'].find((id) => id !== active)!;
  await controller.getByLabel('Target device').selectOption(target);
  await controller.getByRole('button', { name: 'Transfer' }).click();
  await expect(controller.getByRole('status')).toContainText('done', { timeout: 15_000 });
  await expect(cluster.locator('li.active')).toHaveAttribute('data-device', target);

  // The transfer is listed as committed; its card opens the transfer in the detail panel with every phase.
  const card = page.getByLabel('Transfers').locator('.transfer-card').first();
  await expect(card).toContainText('committed');
  await card.locator('.tc-head .link').click();
  const detail = page.getByLabel('Event detail');
  await expect(detail).toContainText('transfer.phase');
  const phases = detail.locator('table.phases');
  for (const phase of ['prepare', 'schedule', 'lead', 'confirm', 'commit', 'gap at switch'])
    await expect(phases).toContainText(phase);
  await shot(page, 'transfer');
});

test('filters narrow the list, an event opens with every device state, and its link reopens it', async ({ page }) => {
  await page.goto('/?user=demo');
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  await expect
    .poll(() => page.locator('.row .col.type', { hasText: 'transfer.switch' }).count(), { timeout: 20_000 })
    .toBeGreaterThan(0);
  await page.getByLabel('Message type').fill('transfer.switch');
  const types = await page.locator('.row .col.type').allInnerTexts();
  expect(types.length).toBeGreaterThan(0);
  expect(types.every((t) => t === 'transfer.switch')).toBe(true);
  await shot(page, 'filtered');

  // Freeze the view, then take the newest switch: its source was playing (the demo's very first had none).
  await page.getByTitle(/Freeze the view/).click();
  const row = page.locator('.row').last();
  const seq = Number(await row.getAttribute('data-seq'));
  await row.click();
  await expect(page).toHaveURL(new RegExp(`event=${seq}`));
  const detail = page.getByLabel('Event detail');
  await expect(detail.locator('.d-seq')).toHaveText(`#${seq}`);
  // Time travel: the state of each of the four devices right after this switch message.
  const devices = detail.locator('.devtable tbody tr');
  await expect(devices).toHaveCount(4);
  await expect(detail.locator('.devtable')).toContainText('playing');
  await expect(detail.locator('.devtable .role')).not.toHaveCount(0);
  await shot(page, 'detail');

  // A correlation filter from the detail panel keeps only that transfer's events.
  const corr = (await detail.locator('.d-links .chip').first().innerText()).trim();
  await detail.locator('.d-links .chip').first().click();
  await page.getByLabel('Message type').fill('');
  const corrs = await page.locator('.row').evaluateAll((rows) => rows.length);
  expect(corrs).toBeGreaterThan(5);
  await expect(page).toHaveURL(new RegExp(`corr=${corr}`));

  // The deep link opens the same event again.
  await page.goto(page.url());
  await expect(page.getByLabel('Event detail').locator('.d-seq')).toHaveText(`#${seq}`);
});

test('export a trace, then import the file with no hub behind the page: the same events', async ({ page }, info) => {
  await page.goto('/?user=bob');
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  await expect.poll(() => eventCount(page)).toBeGreaterThan(10);
  await page.getByTitle(/Freeze the view/).click();
  await page.getByRole('button', { name: 'Export' }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('menuitem', { name: /Trace file/ }).click(),
  ]);
  const path = info.outputPath('trace.ndjson');
  await download.saveAs(path);
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const seqs = lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
  expect(seqs.length).toBeGreaterThan(10);

  const offline = await page.context().newPage();
  await offline.goto(STATIC);
  await expect(offline.getByTestId('hub-state')).toContainText('No hub answers here');
  await offline.getByTestId('signin-import').setInputFiles(path);
  await expect(offline.locator('.file-badge')).toHaveText('FILE');
  await expect.poll(() => eventCount(offline)).toBe(seqs.length);
  const imported = await offline.evaluate(() => (window as unknown as WithHandle).__handoff.store.events.map((e) => e.seq));
  expect(imported).toEqual(seqs);
  await expect(offline.getByTestId('import-metrics')).toContainText('events rendered in');
  await expect(offline.locator('.row').first()).toBeVisible();
  await shot(offline, 'imported');
});

test('a viewer of one user cannot see another user', async ({ page }) => {
  await page.goto('/?user=demo');
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  const refused = await page.evaluate(async () => {
    const token = localStorage.getItem('handoff.viewer.token')!;
    const socket = await new Promise<{ code: number; events: number }>((resolve) => {
      let events = 0;
      const ws = new WebSocket(`ws://${location.host}/v1/trace?user=bob&access_token=${token}`);
      ws.onmessage = () => events++;
      ws.onclose = (ev) => resolve({ code: ev.code, events });
    });
    const res = await fetch('/v1/users/bob/trace?format=ndjson', { headers: { authorization: `Bearer ${token}` } });
    return { socket, status: res.status };
  });
  expect(refused).toEqual({ socket: { code: 4003, events: 0 }, status: 403 });
  // What the page shows is demo's, never bob's.
  const users = await page.evaluate(() => [
    ...new Set((window as unknown as WithHandle).__handoff.store.events.map((e) => e.userId)),
  ]);
  expect(users).toEqual(['demo']);
});

test('the keyboard moves through events and the help lists the keys', async ({ page }) => {
  await page.goto('/?user=demo');
  await expect.poll(() => eventCount(page)).toBeGreaterThan(10);
  await page.keyboard.press('g');
  const first = Number(await page.locator('.row.selected').getAttribute('data-seq'));
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  const third = Number(await page.locator('.row.selected').getAttribute('data-seq'));
  expect(third).toBeGreaterThan(first);
  await page.keyboard.press('k');
  expect(Number(await page.locator('.row.selected').getAttribute('data-seq'))).toBeLessThan(third);
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
});

import { expect, test, type Page } from '@playwright/test';

/**
 * Two browser tabs join one user as devices ("Play in this browser") and playback moves between
 * them: which tab produces sound is read from its Web Audio output level, and the switch gap from
 * both tabs' start/stop times (same machine, same clock).
 */
test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  },
});

type Status = { id: string; connected: boolean; errorMs: number; audio: { level: number; playing: boolean } };
type History = Array<{ type: 'start' | 'stop'; at: number }>;
type Handle = { status(): Status; player: { history: History } };
const device = (page: Page) => page.evaluate(() => (window as unknown as { __handoffBrowserDevice: Handle }).__handoffBrowserDevice.status());
const history = (page: Page) => page.evaluate(() => (window as unknown as { __handoffBrowserDevice: Handle }).__handoffBrowserDevice.player.history);

async function joinAsDevice(page: Page, user: string): Promise<string> {
  await page.goto(`/?user=${user}`);
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  await page.getByTestId('play-here').click();
  await expect(page.getByTestId('browser-device')).toContainText('connected');
  await expect.poll(async () => (await device(page)).errorMs, { timeout: 10_000 }).toBeLessThan(50);
  return (await device(page)).id;
}

test('two browser tabs pass playback between them, and the trace shows the transfer committed', async ({ browser, request, baseURL }) => {
  const user = `tabs-${Date.now().toString(36)}`;
  const context = await browser.newContext();
  const [a, b] = [await context.newPage(), await context.newPage()];
  const idA = await joinAsDevice(a, user);
  const idB = await joinAsDevice(b, user);
  expect(idA).not.toBe(idB);

  const token = ((await (await request.post(`${baseURL}/v1/dev/token`, { data: { user, role: 'viewer' } })).json()) as { access_token: string }).access_token;
  const auth = { Authorization: `Bearer ${token}` };
  const play = await request.put(`${baseURL}/v1/me/player/play?device_id=${idA}`, { headers: auth, data: { context_uri: 'demo:album:night-drive' } });
  expect(play.status()).toBe(204);
  await expect.poll(async () => (await device(a)).audio.level).toBeGreaterThan(0.01);
  expect((await device(b)).audio.level).toBeLessThan(0.001);

  const transfer = await request.put(`${baseURL}/v1/me/player`, { headers: auth, data: { device_ids: [idB], play: true } });
  expect(transfer.status()).toBe(204);
  await expect.poll(async () => (await device(b)).audio.level).toBeGreaterThan(0.01);
  await expect.poll(async () => (await device(a)).audio.level).toBeLessThan(0.001);

  const stop = (await history(a)).findLast((h) => h.type === 'stop')!;
  const start = (await history(b)).findLast((h) => h.type === 'start')!;
  const gapMs = start.at - stop.at;
  console.log(`switch gap between two browser tabs: ${gapMs.toFixed(2)} ms (positive: silence, negative: overlap)`);
  expect(Math.abs(gapMs)).toBeLessThan(50);

  const trace = await request.get(`${baseURL}/v1/users/${user}/trace?format=ndjson`, { headers: auth });
  const events = (await trace.text()).trim().split('\n').map((l) => JSON.parse(l) as { kind: string; type: string; deviceId?: string });
  expect(events.some((e) => e.kind === 'transfer.phase' && e.type === 'committed' && e.deviceId === idB)).toBe(true);
  await context.close();
});

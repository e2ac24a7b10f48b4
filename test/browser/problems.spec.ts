import { expect, test, type Page } from '@playwright/test';

/**
 * The viewer tells the truth when things fail: problems listed and reachable, and never an
 * empty screen without a reason (bad search, a file that is no trace, an evicted deep link, an
 * unknown user). Against the test hub of serve-hub.ts, whose trace ring keeps 200 events per user.
 */
const eventCount = async (page: Page) => Number((await page.getByTestId('event-count').innerText()).replace(/,/g, ''));
const problemCount = async (page: Page) => Number((await page.getByTestId('problem-count').innerText()).replace(/\D/g, ''));

test('a refused transfer is a problem: listed first, counted in the header, reached with a, shown by the error chip, and in Transfers', async ({ page }) => {
  await page.goto('/?user=bob');
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  await expect.poll(() => eventCount(page)).toBeGreaterThan(10);
  const before = await problemCount(page);
  const status = await page.evaluate(async () => {
    const token = localStorage.getItem('handoff.viewer.token')!;
    const res = await fetch('/v1/me/player', {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device_ids: ['no-such-device'], play: true }),
    });
    return res.status;
  });
  expect(status).toBe(404);
  await expect.poll(() => problemCount(page)).toBe(before + 1);
  const problems = page.getByLabel('Problems');
  await expect(problems.locator('li').first()).toContainText('command refused');
  await expect(page.getByLabel('Transfers').locator('.transfer-card').first()).toContainText('refused before prepare');

  await page.getByTitle(/Freeze the view/).click();
  await page.keyboard.press('G');
  await page.keyboard.press('a');
  const selected = page.locator('.row.selected');
  await expect(selected).toHaveClass(/problem/);
  // `a` goes from problem to problem (the household may have others, such as a silent device); one of them is the refusal.
  const visited: string[] = [];
  for (let i = 0; i < before + 1; i++) {
    visited.push(await selected.locator('.col.kind').innerText());
    await expect(selected).toHaveClass(/problem/);
    if (visited.at(-1) === 'result') break;
    await page.keyboard.press('a');
  }
  expect(visited).toContain('result');

  await page.getByRole('group', { name: 'Kinds' }).getByRole('button', { name: 'error' }).click();
  await expect(page.locator('.row.problem').first()).toBeVisible();
  const kinds = await page.locator('.row .col.kind').allInnerTexts();
  expect(kinds.length).toBeGreaterThan(0);
  expect(kinds.every((k) => k === 'error' || k === 'result' || k === 'presence' || k === 'phase' || k === 'conn')).toBe(true);
});

test('a bad regular expression says so; a file that is no trace says what it is; the hub’s OTLP export opens', async ({ page }) => {
  await page.goto('/?user=bob');
  await expect.poll(() => eventCount(page)).toBeGreaterThan(10);
  await page.getByLabel('Search').fill('/rev [0-9+/');
  await expect(page.getByRole('alert').filter({ hasText: 'Not a regular expression' })).toBeVisible();
  await expect(page.getByTestId('list-empty')).toContainText('Not a regular expression');
  await page.getByLabel('Search').fill('/rev [0-9]+/');
  await expect(page.locator('.row').first()).toBeVisible();

  await page.getByTestId('import-file').setInputFiles({ name: 'package.json', mimeType: 'application/json', buffer: Buffer.from('{"name":"x","version":"1"}') });
  await expect(page.getByRole('alert').filter({ hasText: 'package.json' })).toContainText('JSON object with keys name, version');
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');

  const otlp = await page.evaluate(async () => {
    const token = localStorage.getItem('handoff.viewer.token')!;
    return (await fetch('/v1/users/bob/trace?format=otlp', { headers: { authorization: `Bearer ${token}` } })).text();
  });
  await page.getByTestId('import-file').setInputFiles({ name: 'bob.otlp.json', mimeType: 'application/json', buffer: Buffer.from(otlp) });
  await expect(page.locator('.file-badge')).toHaveText('FILE');
  await expect.poll(() => eventCount(page)).toBeGreaterThan(10);
});

test('an admin looking up a user who does not exist is told so, not left waiting', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('User id').fill('ops');
  await page.getByLabel(/admin/).check();
  await page.getByRole('button', { name: 'Watch ops live' }).click();
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  await page.getByLabel('User to look up').fill('nobody-at-all');
  await page.getByLabel('User to look up').press('Enter');
  await expect(page.getByTestId('view-user')).toHaveText('nobody-at-all');
  await expect(page.getByTestId('list-empty')).toContainText('No such user on this hub');
});

test('after the ring evicted the start: a deep link to an evicted event says so, and devices keep their state from the baseline', async ({ page }) => {
  // The demo household passes playback every 2.5 s; wait until its first events are gone from the 200-event ring.
  await page.goto('/');
  const firstHeld = () =>
    page.evaluate(async () => {
      const token = ((await (await fetch('/v1/dev/token', { method: 'POST', body: JSON.stringify({ user: 'ops', role: 'admin' }), headers: { 'content-type': 'application/json' } })).json()) as { access_token: string }).access_token;
      const report = (await (await fetch('/v1/admin/users/demo', { headers: { authorization: `Bearer ${token}` } })).json()) as { trace: { firstSeq: number } };
      return report.trace.firstSeq;
    });
  await expect.poll(firstHeld, { timeout: 60_000, intervals: [2000] }).toBeGreaterThan(20);
  await page.goto('/?user=demo&event=3');
  await expect(page.getByTestId('missing-event')).toContainText('evicted');
  await expect(page.getByTestId('note-baseline')).toBeVisible();
  // All four demo devices are connected: none shows the grace period for want of its connection events.
  const dots = page.getByLabel('Cluster').locator('.device-list .dot');
  await expect(dots).toHaveCount(4);
  await expect(page.getByLabel('Cluster').locator('.device-list .dot.on')).toHaveCount(4);
});

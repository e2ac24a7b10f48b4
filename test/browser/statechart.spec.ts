import { expect, test, type Page } from '@playwright/test';

/** The statechart panel draws the session machine the hub serves and follows the selected event. */
const eventCount = async (page: Page) => Number((await page.getByTestId('event-count').innerText()).replace(/,/g, ''));

test('the statechart shows the state at the selected event and the transition that led there; [ and ] step through transitions', async ({ page }) => {
  expect((await page.request.get('/v1/trace/machine')).status()).toBe(401);
  await page.goto('/?user=demo');
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  const chart = page.getByLabel('Statechart');
  await expect(chart.locator('[data-state]')).toHaveCount(3);
  await expect.poll(() => page.locator('.row.k-transition').count(), { timeout: 20_000 }).toBeGreaterThan(1);
  await expect.poll(() => eventCount(page)).toBeGreaterThan(10);
  await page.getByTitle(/Freeze the view/).click();

  await page.keyboard.press('G');
  await page.keyboard.press('[');
  const selected = page.locator('.row.selected');
  await expect(selected).toHaveClass(/k-transition/);
  const [from, to] = (await selected.locator('.col.sum').innerText()).split(' → ');
  await expect(page.getByTestId('chart-state')).toHaveText(to!.trim());
  await expect(chart.locator('.state.current')).toHaveAttribute('data-state', to!.trim());
  await expect(chart.locator('.edge.hot')).toHaveAttribute('data-edge', `${from!.trim()}>${to!.trim()}`);
  const seq = Number(await selected.getAttribute('data-seq'));

  await page.keyboard.press('[');
  const before = Number(await page.locator('.row.selected').getAttribute('data-seq'));
  expect(before).toBeLessThan(seq);
  await expect(page.locator('.row.selected')).toHaveClass(/k-transition/);
  await page.keyboard.press(']');
  await expect(page.locator('.row.selected')).toHaveAttribute('data-seq', String(seq));
});

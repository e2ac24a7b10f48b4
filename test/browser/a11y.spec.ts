import { createRequire } from 'node:module';
import { expect, test, type Page } from '@playwright/test';

/**
 * Layout and accessibility of the viewer in Chromium: axe-core (injected from the npm package)
 * finds no serious or critical violation on the sign-in page, the main screen, and the main
 * screen with an event selected; resizing keeps everything in view; below 1,400 px the detail is
 * a drawer; dialogs take focus and close with Esc.
 */
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)).join(', ')}`);
}

const eventCount = async (page: Page) => Number((await page.getByTestId('event-count').innerText()).replace(/,/g, ''));

test('axe finds no serious or critical violation on the sign-in page, the main screen, and with an event selected', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('hub-state')).toContainText('dev mode');
  expect(await seriousViolations(page)).toEqual([]);

  await page.goto('/?user=demo');
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  await expect.poll(() => eventCount(page)).toBeGreaterThan(10);
  await page.getByTitle(/Freeze the view/).click();
  expect(await seriousViolations(page)).toEqual([]);

  await page.locator('.row').nth(3).click();
  await expect(page.getByLabel('Event detail').locator('.d-seq')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});

test('shrinking the window keeps the header and the detail in view; below 1,400 px the detail is a drawer', async ({ page }) => {
  await page.setViewportSize({ width: 1600, height: 900 });
  await page.goto('/?user=demo');
  await expect.poll(() => eventCount(page)).toBeGreaterThan(10);
  await page.getByTitle(/Freeze the view/).click();
  await page.locator('.row').nth(2).click();
  await page.setViewportSize({ width: 1280, height: 800 });
  const inView = async (selector: string) => {
    const box = await page.locator(selector).first().boundingBox();
    return box !== null && box.x >= 0 && box.x + box.width <= 1280 + 0.5;
  };
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
  await expect.poll(() => inView('.top .actions')).toBe(true);
  await expect.poll(() => inView('.timeline canvas')).toBe(true);
  // The detail is a drawer over the list, in view, and Esc closes it.
  const detail = page.getByLabel('Event detail');
  await expect(detail).toBeVisible();
  expect(await detail.evaluate((el) => getComputedStyle(el).position)).toBe('fixed');
  expect(await inView('.detail')).toBe(true);
  await page.keyboard.press('Escape');
  await expect(page.getByLabel('Event detail')).toBeHidden();
});

test('help takes focus, closes with Esc and gives focus back; rows are focusable and chips say whether they are on', async ({ page }) => {
  await page.goto('/?user=demo');
  await expect.poll(() => eventCount(page)).toBeGreaterThan(10);
  await page.getByTitle(/Freeze the view/).click();
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  expect(await page.evaluate(() => document.activeElement?.closest('[role=dialog]') !== null)).toBe(true);
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  const seq = await page.getByRole('listbox', { name: /^Events/ }).getByRole('option').nth(3).getAttribute('data-seq');
  const row = page.locator(`[role=option][data-seq="${seq}"]`);
  await row.focus();
  await page.keyboard.press('Enter');
  await expect(row).toHaveAttribute('aria-selected', 'true');
  await expect(row).toHaveAttribute('tabindex', '0');

  const chip = page.getByRole('group', { name: 'Kinds' }).getByRole('button', { name: 'error' });
  await expect(chip).toHaveAttribute('aria-pressed', 'false');
  await chip.click();
  await expect(chip).toHaveAttribute('aria-pressed', 'true');
});

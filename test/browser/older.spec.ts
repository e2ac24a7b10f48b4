import { expect, test, type Page } from '@playwright/test';

interface ViewerWindow {
  __handoff: { store: { dropped: { fromSeq: number; toSeq: number; count: number } | null; held: unknown[] | null } };
}
/** The live store's cap marker and whether it is only queueing (paused). */
const liveStore = (page: Page) =>
  page.evaluate(() => {
    const s = (window as unknown as ViewerWindow).__handoff.store;
    return { dropped: s.dropped, queueing: s.held !== null };
  });
const seqsShown = (page: Page) => page.locator('.rows .row').evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.seq)));

/**
 * Memory is bounded: past its cap the live view drops its oldest events behind a marker, and
 * fetches them back from the hub's export on demand. `?cap=40` makes the cap small enough for the
 * test hub's demo traffic to pass it; the hub's ring (200 events per user here) still holds them.
 */
test('events dropped past the cap are fetched back from the hub on demand and shown, then the view goes back to live', async ({ page }) => {
  await page.goto('/?user=demo&cap=40');
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  await expect(page.getByTestId('note-cap')).toBeVisible({ timeout: 30_000 });
  // Paused, the view stops dropping, so the range asked for is the one read here.
  await page.locator('header').getByRole('button', { name: /Pause/ }).click();
  const dropped = (await liveStore(page)).dropped!;
  expect(dropped.toSeq).toBeGreaterThanOrEqual(dropped.fromSeq);

  await page.getByTestId('fetch-older').click();
  const note = page.getByTestId('note-older');
  await expect(note).toContainText(`–${dropped.toSeq}, fetched from the hub`);
  // The hub gives back what its ring still holds of the range, and the note says what it no longer has.
  const first = Number(/Showing seq (\d+)–/.exec(await note.innerText())![1]);
  expect(first).toBeGreaterThanOrEqual(dropped.fromSeq);
  if (first > dropped.fromSeq) await expect(note).toContainText(`the hub no longer holds seq ${dropped.fromSeq}–${first - 1}`);
  // The list now holds that range: its newest row is the last one dropped, nothing newer.
  await expect(page.locator(`.row[data-seq="${dropped.toSeq}"]`)).toBeVisible();
  const shown = await seqsShown(page);
  expect(Math.max(...shown)).toBe(dropped.toSeq);
  expect(Math.min(...shown)).toBeGreaterThanOrEqual(first);
  // Meanwhile the live view only queues what arrives.
  expect((await liveStore(page)).queueing).toBe(true);

  await page.getByTestId('back-to-live').click();
  await expect(note).toHaveCount(0);
  await expect(page.getByTestId('note-cap')).toBeVisible();
  expect((await liveStore(page)).queueing).toBe(false);
  await expect.poll(async () => Math.max(...(await seqsShown(page)))).toBeGreaterThan(dropped.toSeq);
});

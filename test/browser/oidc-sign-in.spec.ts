import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { startMain, type ListeningMain } from '../helpers/main-process.ts';
import { startTestProvider, type TestProvider } from '../helpers/oidc-provider.ts';
import { freePort } from '../helpers/redis.ts';

/**
 * The viewer's sign-in with a real OpenID Provider (oidc-provider on loopback): Authorization Code
 * with PKCE in Chromium, the provider's login form, back to the viewer, live. Its own hub, with
 * AUTH_ISSUER, on a free port; the provider knows that port as the viewer's redirect URI.
 */
let idp: TestProvider;
let hub: ListeningMain;

test.beforeAll(async () => {
  const port = await freePort();
  idp = await startTestProvider({ viewerRedirectUris: [`http://127.0.0.1:${port}/`] });
  hub = await startMain({
    PORT: String(port),
    HUB_SECRET: 'browser-oidc-hub-secret-0123456789',
    AUTH_ISSUER: idp.issuer,
    AUTH_AUDIENCE: idp.audience,
    AUTH_VIEWER_CLIENT_ID: idp.viewerClientId,
  });
});
test.afterAll(async () => {
  await hub?.[Symbol.asyncDispose]();
  await idp?.close();
});

// The provider's stock login page links web fonts: nothing leaves this machine.
test.beforeEach(async ({ context }) => {
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
});

const SCREENS = fileURLToPath(new URL('../../test-results/screens/', import.meta.url));
const shot = (page: Page, name: string) => page.screenshot({ path: `${SCREENS}${name}.png` });
const tokenKept = (page: Page) =>
  page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));

test('an engineer signs in with the identity provider and watches their own user live; the token is in no storage', async ({
  page,
}) => {
  await page.goto(`${hub.url}/`);
  await expect(page.getByTestId('hub-state')).toContainText(`signing in with ${idp.issuer}`);
  await shot(page, 'sign-in-oidc');
  await page.getByRole('button', { name: `Sign in with ${idp.issuer}` }).click();
  // The provider's own login page.
  await expect(page).toHaveURL(new RegExp(`^${idp.issuer}/interaction/`));
  await page.locator('input[name=login]').fill('alice');
  await page.locator('input[name=password]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  await expect(page.getByTestId('view-user')).toHaveText('alice');
  // The code and state are gone from the address bar.
  expect(new URL(page.url()).search).toBe('?user=alice');
  expect(await tokenKept(page)).not.toMatch(/eyJ/);
});

test('an admin from the provider picks the user to look up', async ({ page }) => {
  await page.goto(`${hub.url}/`);
  await page.getByRole('button', { name: `Sign in with ${idp.issuer}` }).click();
  await page.locator('input[name=login]').fill('admin-ann');
  await page.locator('input[name=password]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await expect(page.getByText('Signed in as')).toContainText('admin-ann');
  await shot(page, 'sign-in-oidc-admin');
  await page.getByLabel('User to look up').fill('bob');
  await page.getByRole('button', { name: 'Watch bob live' }).click();
  await expect(page.getByTestId('live-state')).toHaveText('LIVE');
  await expect(page.getByTestId('view-user')).toHaveText('bob');
});

test('a provider token about to expire makes the viewer sign in again and come back to the same user', async ({ page }) => {
  // Tokens that expire 35 s after issue: the viewer renews 30 s before, so about 5 s after sign-in.
  idp.editTokens((p) => (p.exp = Math.floor(Date.now() / 1000) + 35));
  try {
    await page.goto(`${hub.url}/`);
    await page.getByRole('button', { name: `Sign in with ${idp.issuer}` }).click();
    await page.locator('input[name=login]').fill('alice');
    await page.locator('input[name=password]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await expect(page.getByTestId('view-user')).toHaveText('alice');
    const before = idp.authorizations();
    // The provider remembers the browser's session: no login form this time, straight back.
    await expect.poll(() => idp.authorizations(), { timeout: 20_000 }).toBeGreaterThan(before);
    await expect(page.getByTestId('live-state')).toHaveText('LIVE', { timeout: 20_000 });
    await expect(page.getByTestId('view-user')).toHaveText('alice');
    expect(page.url()).toBe(`${hub.url}/?user=alice`);
  } finally {
    idp.editTokens(null);
  }
});

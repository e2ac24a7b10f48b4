import * as oauth from 'oauth4webapi';
import type { HubInfo } from '../model/types.ts';
import { expiryOf, type Session } from './auth.ts';

/** What the hub says about its identity provider (`/v1/info`). */
export type OidcInfo = NonNullable<HubInfo['oidc']>;

/**
 * Sign-in with the company's identity provider: OAuth 2 Authorization Code with PKCE, run in the
 * browser by oauth4webapi (discovery, the code challenge, the callback and token response checks).
 * Only the PKCE verifier and state live in sessionStorage, for the one redirect; the access token
 * stays in memory, never in localStorage, and an expired one means signing in again.
 */
const PENDING = 'handoff.viewer.oidc-pending';

interface Pending {
  verifier: string;
  state: string;
  /** The user to open once back (an admin's lookup, or the one on screen when the token expired). */
  user: string | null;
}

const client = (info: OidcInfo): oauth.Client => ({ client_id: info.clientId });
/** Plain http only for a provider on this machine (development, tests); anything else needs https. */
const insecureOk = (issuer: URL) => issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
const redirectUri = () => `${location.origin}/`;

async function discover(info: OidcInfo): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(info.issuer);
  const res = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', [oauth.allowInsecureRequests]: insecureOk(issuer) });
  return oauth.processDiscoveryResponse(issuer, res);
}

/** Leave for the provider's sign-in page; it sends the browser back to this page with a code. */
export async function beginSignIn(info: OidcInfo, user: string | null): Promise<void> {
  const as = await discover(info);
  if (!as.authorization_endpoint) throw new Error(`${info.issuer} has no authorization endpoint`);
  const pending: Pending = { verifier: oauth.generateRandomCodeVerifier(), state: oauth.generateRandomState(), user };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: info.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: info.scope,
    resource: info.audience,
    state: pending.state,
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
}

/** True when `landing` (the address this page was loaded at) is the provider sending the browser back. */
export const isCallback = (landing: URL): boolean =>
  sessionStorage.getItem(PENDING) !== null && (landing.searchParams.has('code') || landing.searchParams.has('error'));

/**
 * Back from the provider (`landing` is the address the page was loaded at, read before anything
 * rewrote it): check the answer, trade the code (with the PKCE verifier) for an access
 * token, ask the hub who that token is, and clean the address bar. Throws with the provider's or
 * the hub's reason.
 */
export async function finishSignIn(info: OidcInfo, landing: URL): Promise<{ session: Session; user: string | null }> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as Pending | null;
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', pending?.user ? `/?user=${encodeURIComponent(pending.user)}` : '/');
  if (!pending) throw new Error('No sign-in was under way: sign in again.');
  const as = await discover(info);
  const params = oauth.validateAuthResponse(as, client(info), landing, pending.state);
  const insecure = { [oauth.allowInsecureRequests]: insecureOk(new URL(info.issuer)) };
  const res = await oauth.authorizationCodeGrantRequest(as, client(info), oauth.None(), params, redirectUri(), pending.verifier, {
    ...insecure,
    additionalParameters: { resource: info.audience },
  });
  const tokens = await oauth.processAuthorizationCodeResponse(as, client(info), res);
  const who = await fetch('/v1/whoami', { headers: { authorization: `Bearer ${tokens.access_token}` } });
  if (!who.ok) throw new Error(`The hub refused the provider's token: ${await reason(who)}`);
  const { user, role } = (await who.json()) as { user: string; role: string };
  const exp = expiryOf(tokens.access_token) || Math.floor(Date.now() / 1000) + (tokens.expires_in ?? 300);
  return { session: { token: tokens.access_token, sub: user, role, exp, oidc: true }, user: pending.user };
}

async function reason(res: Response): Promise<string> {
  try {
    return ((await res.json()) as { error?: { message?: string } }).error?.message ?? String(res.status);
  } catch {
    return String(res.status);
  }
}

/** How long before a provider token expires the viewer goes back to the provider for a new one. */
export const RENEW_BEFORE_MS = 30_000;

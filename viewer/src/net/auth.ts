import { decodeJwt } from 'jose';

/** The signed-in viewer: a bearer token and what it says about itself (decoded, not verified: the hub verifies). */
export interface Session {
  token: string;
  /** The token's own user. */
  sub: string;
  /** viewer, admin (or device, which cannot read traces). */
  role: string;
  /** Seconds since the epoch. */
  exp: number;
  /** From the identity provider: kept in memory only, and renewed by signing in again before it expires. */
  oidc?: boolean;
}

const KEY = 'handoff.viewer.token';

/** A hub token (HUB_SECRET) read for its user, role and expiry. */
export function decodeToken(token: string): Session | null {
  try {
    const claims = decodeJwt(token.trim());
    if (typeof claims.sub !== 'string' || typeof claims['role'] !== 'string') return null;
    return { token: token.trim(), sub: claims.sub, role: claims['role'], exp: Number(claims.exp ?? 0) };
  } catch {
    return null;
  }
}

/** The expiry (seconds since the epoch) a JWT states, 0 when it states none. */
export function expiryOf(token: string): number {
  try {
    return Number(decodeJwt(token).exp ?? 0);
  } catch {
    return 0;
  }
}

export function loadSession(): Session | null {
  const token = localStorage.getItem(KEY);
  const s = token ? decodeToken(token) : null;
  if (!s || s.exp * 1000 < Date.now() + 60_000) return null;
  return s;
}

/** Remember a pasted or dev token across reloads; an identity provider's token is never written to storage. */
export function saveSession(s: Session | null): void {
  if (s && !s.oidc) localStorage.setItem(KEY, s.token);
  else localStorage.removeItem(KEY);
}

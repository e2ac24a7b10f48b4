/** The signed-in viewer: a bearer token and what it says about itself (decoded, not verified: the hub verifies). */
export interface Session {
  token: string;
  /** The token's own user. */
  sub: string;
  /** viewer, admin (or device, which cannot read traces). */
  role: string;
  /** Seconds since the epoch. */
  exp: number;
}

const KEY = 'handoff.viewer.token';

export function decodeToken(token: string): Session | null {
  const part = token.trim().split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: unknown; role?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string' || typeof claims.role !== 'string') return null;
    return { token: token.trim(), sub: claims.sub, role: claims.role, exp: Number(claims.exp ?? 0) };
  } catch {
    return null;
  }
}

export function loadSession(): Session | null {
  const token = localStorage.getItem(KEY);
  const s = token ? decodeToken(token) : null;
  if (!s || s.exp * 1000 < Date.now() + 60_000) return null;
  return s;
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, s.token);
  else localStorage.removeItem(KEY);
}

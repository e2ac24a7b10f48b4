import { SignJWT } from 'jose';
import { z } from 'zod';

export const Role = z.enum(['device', 'viewer', 'admin']);
export type Role = z.infer<typeof Role>;

/** Who a request or socket acts as, from a verified token. */
export interface Principal {
  userId: string;
  role: Role;
}

/** The hub secret as the key jose signs and verifies HS256 with. */
export const secretKey = (secret: string): Uint8Array => new TextEncoder().encode(secret);

/** An HS256 JWT for `userId` with `role`, valid for `ttlSeconds`, signed by jose with the hub's secret. */
export function signToken(secret: string, p: Principal, ttlSeconds: number, nowMs = Date.now()): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({ role: p.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(p.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(secretKey(secret));
}

/** The bearer token of a request: `Authorization: Bearer ...` or `?access_token=...`. */
export function bearerToken(headers: { authorization?: string | undefined }, url: URL): string | null {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return url.searchParams.get('access_token');
}

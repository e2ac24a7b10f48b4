import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { HubError } from '../errors.ts';

export const Role = z.enum(['device', 'viewer', 'admin']);
export type Role = z.infer<typeof Role>;

/** Who a request or socket acts as, from a verified token. */
export interface Principal {
  userId: string;
  role: Role;
}

const Claims = z.object({
  sub: z.string().min(1).max(128),
  role: Role,
  exp: z.number(),
});

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** An HS256 JWT for `userId` with `role`, valid for `ttlSeconds`. */
export function signToken(secret: string, p: Principal, ttlSeconds: number, nowMs = Date.now()): string {
  const payload = b64url(JSON.stringify({ sub: p.userId, role: p.role, exp: Math.floor(nowMs / 1000) + ttlSeconds }));
  const sig = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${sig}`;
}

/** The principal of a valid token; throws UNAUTHORIZED for anything forged, malformed or expired. */
export function verifyToken(secret: string, token: string, nowMs = Date.now()): Principal {
  const refuse = (message: string) => new HubError({ code: 'UNAUTHORIZED', message });
  const parts = token.split('.');
  if (parts.length !== 3) throw refuse('malformed token');
  const [header, payload, sig] = parts as [string, string, string];
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: unknown }).alg;
  } catch {
    throw refuse('malformed token');
  }
  if (alg !== 'HS256') throw refuse('unsupported token algorithm');
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse('bad token signature');
  let claims: z.infer<typeof Claims>;
  try {
    claims = Claims.parse(JSON.parse(Buffer.from(payload, 'base64url').toString()));
  } catch {
    throw refuse('malformed token claims');
  }
  if (claims.exp * 1000 <= nowMs) throw refuse('token expired');
  return { userId: claims.sub, role: claims.role };
}

/** The bearer token of a request: `Authorization: Bearer ...` or `?access_token=...`. */
export function bearerToken(headers: { authorization?: string | undefined }, url: URL): string | null {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return url.searchParams.get('access_token');
}

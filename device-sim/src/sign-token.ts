import { SignJWT } from 'jose';

/**
 * An HS256 device token, signed here by jose with the hub's secret, so a fleet of thousands of
 * users needs no HTTP round trip per user (the same claims the hub's `signToken` puts in).
 */
export function signDeviceToken(secret: string, userId: string, ttlSeconds = 24 * 3600, role = 'device'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

import { SignJWT } from 'jose';

/** Signs HS256 device tokens with one secret, its key imported once (a fleet signs one per user). */
export type DeviceTokenSigner = (userId: string, ttlSeconds?: number, role?: string) => Promise<string>;

/**
 * HS256 device tokens, signed here by jose with the hub's secret, so a fleet of thousands of
 * users needs no HTTP round trip per user (the same claims the hub's `signToken` puts in). The
 * secret is imported as a key once: importing it per token was most of a fleet's start.
 */
export function deviceTokenSigner(secret: string): DeviceTokenSigner {
  const key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return async (userId, ttlSeconds = 24 * 3600, role = 'device') => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(await key);
  };
}

/** One HS256 device token (see `deviceTokenSigner` for many). */
export function signDeviceToken(secret: string, userId: string, ttlSeconds = 24 * 3600, role = 'device'): Promise<string> {
  return deviceTokenSigner(secret)(userId, ttlSeconds, role);
}

import { createHmac } from 'node:crypto';

/**
 * An HS256 device token, signed here with the hub's secret, so a fleet of thousands of users
 * needs no HTTP round trip per user (the same format the hub's `signToken` makes).
 */
export function signDeviceToken(secret: string, userId: string, ttlSeconds = 24 * 3600, role = 'device'): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  const head = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(JSON.stringify({ sub: userId, role, exp: Math.floor(Date.now() / 1000) + ttlSeconds }))}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

import { jwtVerify, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { deviceTokenSigner } from './sign-token.ts';

describe('the fleet signs device tokens without jose', () => {
  test("a token is byte for byte the one jose signs with the hub's claims, and verifies", async () => {
    const secret = 'a-hub-secret-of-some-length';
    const key = new TextEncoder().encode(secret);
    const token = await deviceTokenSigner(secret)('user-7', 600, 'viewer');
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
    const iat = payload.iat!;
    expect(payload).toEqual({ role: 'viewer', sub: 'user-7', iat, exp: iat + 600 });
    const jose = await new SignJWT({ role: 'viewer' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject('user-7').setIssuedAt(iat).setExpirationTime(iat + 600).sign(key);
    expect(token).toBe(jose);
  });
});

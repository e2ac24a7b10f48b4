import { describe, expect, test } from 'vitest';
import { HubTokens } from './hub-tokens.ts';
import { signToken } from './token.ts';

const SECRET = 'unit-test-hub-secret-0123456789';

describe('HubTokens', () => {
  test('a token signed with the secret gives its user and role; one signed with another secret is refused', async () => {
    const tokens = new HubTokens(SECRET, () => Date.now());
    expect(await tokens.verify(await signToken(SECRET, { userId: 'alice', role: 'viewer' }, 60))).toEqual({
      userId: 'alice',
      role: 'viewer',
    });
    await expect(
      tokens.verify(await signToken('another-secret-0123456789', { userId: 'alice', role: 'admin' }, 60)),
    ).rejects.toThrow('bad token signature');
  });

  test('a token verified before is still refused once it expires', async () => {
    let now = Date.now();
    const tokens = new HubTokens(SECRET, () => now);
    const token = await signToken(SECRET, { userId: 'alice', role: 'device' }, 60, now);
    expect(await tokens.verify(token)).toEqual({ userId: 'alice', role: 'device' });
    expect(await tokens.verify(token)).toEqual({ userId: 'alice', role: 'device' });
    now += 61_000;
    await expect(tokens.verify(token)).rejects.toThrow('token expired');
  });

  test('a verified token with one byte changed is checked again, and refused', async () => {
    const tokens = new HubTokens(SECRET, () => Date.now());
    const token = await signToken(SECRET, { userId: 'alice', role: 'device' }, 60);
    await tokens.verify(token);
    const [head, body, sig] = token.split('.') as [string, string, string];
    const flipped = `${head}.${body}.${sig.slice(0, -2)}${sig.at(-2) === 'A' ? 'B' : 'A'}${sig.at(-1)}`;
    await expect(tokens.verify(flipped)).rejects.toThrow('bad token signature');
  });

  test('devices presenting one token at the same moment all get its user; all presenting a forged one at once are refused, and so is the next', async () => {
    const tokens = new HubTokens(SECRET, () => Date.now());
    const token = await signToken(SECRET, { userId: 'bob', role: 'device' }, 60);
    const principals = await Promise.all(Array.from({ length: 4 }, () => tokens.verify(token)));
    expect(principals).toEqual(Array.from({ length: 4 }, () => ({ userId: 'bob', role: 'device' })));
    const forged = await signToken('another-secret-0123456789', { userId: 'bob', role: 'admin' }, 60);
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => tokens.verify(forged)));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    await expect(tokens.verify(forged)).rejects.toThrow('bad token signature');
  });
});

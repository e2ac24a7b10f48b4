import { describe, expect, test } from 'vitest';
import { DEFAULT_RATE_LIMIT, RateLimiter } from './rate-limit.ts';

function limiter(ratePerSec: number, burst: number) {
  const clock = { t: 1_000_000 };
  return { clock, limit: new RateLimiter({ ratePerSec, burst }, () => clock.t) };
}

describe('rate limiter', () => {
  test('a burst up to the bucket size passes, the next request is told when to retry', () => {
    const { limit } = limiter(2, 3);
    expect([limit.take('u'), limit.take('u'), limit.take('u')]).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(limit.take('u')).toEqual({ ok: false, retryAfterMs: 500 });
  });

  test('tokens come back at the configured rate', () => {
    const { clock, limit } = limiter(2, 1);
    expect(limit.take('u').ok).toBe(true);
    expect(limit.take('u').ok).toBe(false);
    clock.t += 499;
    expect(limit.take('u').ok).toBe(false);
    clock.t += 1;
    expect(limit.take('u').ok).toBe(true);
  });

  test('each key has its own bucket', () => {
    const { limit } = limiter(1, 1);
    expect(limit.take('alice').ok).toBe(true);
    expect(limit.take('alice').ok).toBe(false);
    expect(limit.take('bob').ok).toBe(true);
  });

  test('with the defaults, a household sending five commands a second and polling never hits it', () => {
    const { clock, limit } = limiter(DEFAULT_RATE_LIMIT.ratePerSec, DEFAULT_RATE_LIMIT.burst);
    for (let second = 0; second < 120; second++) {
      for (let i = 0; i < 8; i++) {
        expect(limit.take('household').ok).toBe(true);
        clock.t += 125;
      }
    }
  });

  test('buckets of keys gone quiet are forgotten once they have refilled', () => {
    const { clock, limit } = limiter(10, 10);
    for (let i = 0; i < 50; i++) limit.take(`user-${i}`);
    expect(limit.size).toBe(50);
    clock.t += 1000;
    limit.take('someone-else');
    expect(limit.size).toBe(1);
  });
});

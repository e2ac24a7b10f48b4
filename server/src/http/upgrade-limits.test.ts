import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { UpgradeLimits } from './upgrade-limits.ts';

function limits() {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const settings = { perAddress: { ratePerSec: 1, burst: 2 }, perUser: { ratePerSec: 1, burst: 2 }, answeredRefusals: 3, abusePenalty: 2, refusalHoldMs: 0 };
  return { clock, limits: new UpgradeLimits(settings, clock) };
}

describe('refusing a storming address at TCP accept', () => {
  test('within its rate an address is read; over it, its first answeredRefusals connections still are (for their 429), the rest are not', () => {
    const { limits: l } = limits();
    // Rate 1/s, burst 2: two connections within the rate, then three read to be answered, then none.
    expect(Array.from({ length: 8 }, () => l.accept('a'))).toEqual([true, true, true, true, true, false, false, false]);
    // Another address is untouched.
    expect(l.accept('b')).toBe(true);
  });

  test('connections are counted at accept, not at the upgrade: a burst accepted before any upgrade cannot all be let through', () => {
    const { limits: l } = limits();
    // Eight connections arrive before the first of them is upgraded: two within the burst, three answered, three reset.
    const read = Array.from({ length: 8 }, () => l.accept('a')).filter(Boolean).length;
    expect(read).toBe(2 + 3);
    expect([l.address('a').ok, l.address('a').ok, l.address('a').ok]).toEqual([true, true, false]);
  });

  test('past the allowance, one more connection a second is read; an address back within its rate is read again', () => {
    const { clock, limits: l } = limits();
    for (let i = 0; i < 5; i++) l.accept('a');
    expect(l.accept('a')).toBe(false);
    clock.increment(1000);
    // One new connection earned by now (1/s), and one answer: both read, the next one not.
    expect([l.accept('a'), l.accept('a'), l.accept('a')]).toEqual([true, true, false]);
  });
});

describe('the penalty for a socket cut off for abuse', () => {
  test("each cut-off takes abusePenalty of the user's new sockets, down to waiting a second burst's refill at most", () => {
    const { clock, limits: l } = limits();
    expect(l.user('mallory').ok).toBe(true);
    l.penalize('mallory');
    // 1 left, minus 2: one token short, a second to wait.
    expect(l.user('mallory')).toEqual({ ok: false, retryAfterMs: 2000 });
    for (let i = 0; i < 10; i++) l.penalize('mallory');
    expect(l.user('mallory')).toEqual({ ok: false, retryAfterMs: 3000 });
    clock.increment(3000);
    expect(l.user('mallory').ok).toBe(true);
    // Another user never pays for it.
    expect(l.user('bob').ok).toBe(true);
  });
});

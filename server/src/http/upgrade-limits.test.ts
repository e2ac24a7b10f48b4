import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { UpgradeLimits } from './upgrade-limits.ts';

function limits() {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const settings = { perAddress: { ratePerSec: 1, burst: 2 }, perUser: { ratePerSec: 1, burst: 2 }, answeredRefusals: 3, abusePenalty: 2 };
  return { clock, limits: new UpgradeLimits(settings, clock) };
}

describe('refusing a storming address at TCP accept', () => {
  test('within its rate an address is read; over it, its first answeredRefusals connections still are (for their 429), the rest are not', () => {
    const { limits: l } = limits();
    expect([l.accept('a'), l.address('a').ok, l.accept('a'), l.address('a').ok]).toEqual([true, true, true, true]);
    // Over the rate now: three connections are read (and answered 429 at the upgrade), then none.
    expect(Array.from({ length: 6 }, () => l.accept('a'))).toEqual([true, true, true, false, false, false]);
    expect(l.address('a').ok).toBe(false);
    // Another address is untouched.
    expect(l.accept('b')).toBe(true);
  });

  test('past the allowance, one more connection a second is read; an address back within its rate is read again', () => {
    const { clock, limits: l } = limits();
    l.address('a');
    l.address('a');
    for (let i = 0; i < 3; i++) l.accept('a');
    expect(l.accept('a')).toBe(false);
    clock.increment(1000);
    // The address has earned one new socket by now (1/s): read, whatever the answers left.
    expect(l.accept('a')).toBe(true);
    expect(l.address('a').ok).toBe(true);
    // Over the rate again, with one answer earned in that second.
    expect([l.accept('a'), l.accept('a')]).toEqual([true, false]);
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

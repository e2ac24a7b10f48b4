import { describe, expect, test } from 'vitest';
import { ClockSync } from './clock-sync.ts';

/** One exchange with a device whose clock is `offset` ahead, `up` ms out and `down` ms back. */
const exchange = (sync: ClockSync, at: number, offset: number, up: number, down: number) =>
  sync.add(at, at + up + offset, at + up + offset, at + up + down);

describe('clock sync', () => {
  test('knows nothing before the first exchange', () => {
    expect(new ClockSync().estimate()).toBeNull();
  });

  test('trusts the exchange with the lowest round trip, and half of it bounds the error', () => {
    const sync = new ClockSync();
    exchange(sync, 1000, 500, 20, 2); // asymmetric and slow: offset reads 509
    exchange(sync, 2000, 500, 1, 1); // fast and symmetric: exact
    const e = exchange(sync, 3000, 500, 30, 10)!;
    expect(e.offsetMs).toBe(500);
    expect(e.rttMs).toBe(2);
    expect(e.errorMs).toBe(1);
    expect(e.recentMaxRttMs).toBe(40);
    expect(e.samples).toBe(3);
  });

  test('keeps only the last `keep` exchanges: an old good sample ages out', () => {
    const sync = new ClockSync(4);
    exchange(sync, 0, -200, 1, 1);
    for (let i = 1; i <= 4; i++) exchange(sync, i * 1000, -200, 5 + i, 5 + i);
    const e = sync.estimate()!;
    expect(e.samples).toBe(4);
    expect(e.rttMs).toBe(12);
    expect(e.recentMaxRttMs).toBe(18);
    expect(e.offsetMs).toBe(-200);
  });

  test('ignores exchanges that cannot be: an answer before the question', () => {
    const sync = new ClockSync();
    expect(sync.add(1000, 0, 0, 999)).toBeNull();
    expect(sync.estimate()).toBeNull();
  });
});

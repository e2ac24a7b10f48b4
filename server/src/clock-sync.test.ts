import { describe, expect, test } from 'vitest';
import { ClockSync } from './clock-sync.ts';

/** One exchange with a device whose clock is `offset` ahead, `up` ms out and `down` ms back. */
const exchange = (sync: ClockSync, at: number, offset: number, up: number, down: number) =>
  sync.add(at, at + up + offset, at + up + offset, at + up + down);

/** A seeded generator (mulberry32), so a statistical test sees the same link every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A device on a jittery link (1 ms each way plus 0..jitter at random) whose clock starts `skew`
 * ahead and gains `ppm` on the server's: its true offset at server time t is skew + ppm * 1e-6 * t.
 * Every exchange is also kept as the old filter saw it (NTP offset and round trip).
 */
function drifting(skew: number, ppm: number, jitter: number, random: () => number) {
  const offsetAt = (t: number) => skew + ppm * 1e-6 * t;
  const history: Array<{ offset: number; delay: number }> = [];
  return {
    offsetAt,
    history,
    exchange(sync: ClockSync, t0: number) {
      const t1Server = t0 + 1 + random() * jitter;
      const t3 = t1Server + 1 + random() * jitter;
      const t1 = t1Server + offsetAt(t1Server);
      history.push({ offset: (t1 - t0 + (t1 - t3)) / 2, delay: t3 - t0 });
      return sync.add(t0, t1, t1, t3)!;
    },
  };
}

/** What the old filter said: the NTP offset of the exchange with the lowest round trip among the last 32. */
function bestOfRecent(history: Array<{ offset: number; delay: number }>): number {
  const recent = history.slice(-32);
  return recent.reduce((best, s) => (s.delay < best.delay ? s : best)).offset;
}

describe('clock sync', () => {
  test('knows nothing before the first exchange', () => {
    expect(new ClockSync().estimate()).toBeNull();
  });

  test('one exchange: the NTP offset, and half the round trip bounds the error', () => {
    const sync = new ClockSync();
    const e = exchange(sync, 1000, 500, 20, 2)!; // asymmetric and slow: reads 509
    expect(e.offsetMs).toBe(509);
    expect(e.errorMs).toBe(11);
    expect(e.rttMs).toBe(22);
  });

  test('intersects the bounds of every exchange: the fastest trip out and the fastest trip back, from different exchanges', () => {
    const sync = new ClockSync();
    exchange(sync, 1000, 500, 1, 15); // fast out, slow back
    exchange(sync, 1050, 500, 15, 1); // slow out, fast back
    const e = exchange(sync, 1100, 500, 30, 10)!;
    // Best single exchange (16 ms round trip) would say 493 or 507 with +-8 ms; together they pin it to 500 +-1
    // (and a little more: the clock may drift in the 100 ms they span).
    expect(e.offsetMs).toBeCloseTo(500, 0);
    expect(e.errorMs).toBeGreaterThanOrEqual(1);
    expect(e.errorMs).toBeLessThan(1.5);
    expect(e.rttMs).toBe(16);
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

  test('on a link with 0-20 ms jitter each way, 16 exchanges pin the offset far tighter than the best single one, and the error bound holds', () => {
    const random = seeded(17);
    const worstBest: number[] = [];
    const worstOurs: number[] = [];
    for (let device = 0; device < 200; device++) {
      const sync = new ClockSync();
      const link = drifting((random() * 2 - 1) * 2000, 0, 20, random);
      for (let i = 0; i < 16; i++) link.exchange(sync, 1000 + i * 25);
      const e = sync.estimate()!;
      const truth = link.offsetAt(1000 + 15 * 25);
      expect(Math.abs(e.offsetMs - truth)).toBeLessThanOrEqual(e.errorMs + 1e-9);
      worstOurs.push(Math.abs(e.offsetMs - truth));
      worstBest.push(Math.abs(bestOfRecent(link.history) - truth));
    }
    const p99 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.ceil(v.length * 0.99) - 1]!;
    expect(p99(worstOurs)).toBeLessThan(p99(worstBest) / 2);
    expect(p99(worstOurs)).toBeLessThan(2.5);
  });

  test('between heartbeats after the burst, a clock that keeps time stays pinned: the drift allowance widens the bound, not the error', () => {
    const random = seeded(5);
    const ours: number[] = [];
    const best: number[] = [];
    for (let device = 0; device < 200; device++) {
      const sync = new ClockSync();
      const link = drifting((random() * 2 - 1) * 2000, 0, 20, random);
      for (let i = 0; i < 16; i++) link.exchange(sync, i * 25);
      for (let t = 5000; t <= 30_000; t += 5000) {
        const e = link.exchange(sync, t);
        expect(Math.abs(e.offsetMs - link.offsetAt(t))).toBeLessThanOrEqual(e.errorMs + 1e-9);
        ours.push(Math.abs(e.offsetMs - link.offsetAt(t)));
        best.push(Math.abs(bestOfRecent(link.history) - link.offsetAt(t)));
      }
    }
    const p99 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.ceil(v.length * 0.99) - 1]!;
    expect(p99(ours)).toBeLessThan(p99(best) / 2);
  });

  test('follows a clock drifting at 100 ppm over 10 minutes of heartbeats, where the best old sample falls behind', () => {
    const random = seeded(100);
    for (const ppm of [100, -100, 37]) {
      const sync = new ClockSync();
      const link = drifting(1234, ppm, 20, random);
      const errors: number[] = [];
      const bestErrors: number[] = [];
      const record = (t0: number) => link.exchange(sync, t0);
      for (let i = 0; i < 16; i++) record(i * 25);
      for (let t = 5000; t <= 600_000; t += 5000) {
        const e = record(t);
        // Measured a minute in, once the window holds more than the burst.
        if (t < 60_000) continue;
        errors.push(Math.abs(e.offsetMs - link.offsetAt(t)));
        bestErrors.push(Math.abs(bestOfRecent(link.history) - link.offsetAt(t)));
      }
      const e = sync.estimate()!;
      // One exchange per 5 s with up to 20 ms of jitter pins the rate to a few tens of ppm, enough to carry bounds a minute or two.
      expect(Math.abs(e.driftPpm - ppm)).toBeLessThan(25);
      expect(Math.max(...errors)).toBeLessThan(4);
      expect(Math.max(...bestErrors)).toBeGreaterThan(2 * Math.max(...errors));
    }
  });

  test('a device whose clock is stepped is followed from its next exchange: older bounds that disagree are dropped', () => {
    const sync = new ClockSync();
    for (let i = 0; i < 20; i++) exchange(sync, i * 1000, 300, 2, 2);
    const e = exchange(sync, 21_000, 350, 2, 2)!;
    expect(e.offsetMs).toBe(350);
    expect(e.errorMs).toBeLessThanOrEqual(2);
  });
  test('the bound is the widest the agreeing drift rates allow: the same as a fine scan of the rates finds', () => {
    const random = seeded(23);
    const maxPpm = 200;
    for (let device = 0; device < 8; device++) {
      const sync = new ClockSync(32, maxPpm);
      const link = drifting((random() * 2 - 1) * 2000, (random() * 2 - 1) * 150, 1 + random() * 10, random);
      const kept: Array<{ t: number; upper: number; lower: number }> = [];
      for (let i = 0; i < 40; i++) {
        const t0 = i < 16 ? i * 25 : i * 3000;
        const e = link.exchange(sync, t0);
        const { offset, delay } = link.history.at(-1)!;
        kept.push({ t: t0, upper: offset + delay / 2, lower: offset - delay / 2 });
        if (kept.length > 32) kept.shift();
        // Every rate at which the kept bounds, carried to the newest exchange, still agree.
        const now = kept.at(-1)!.t;
        const carried = (rate: number) => ({
          hi: Math.min(...kept.map((k) => k.upper + rate * (now - k.t))),
          lo: Math.max(...kept.map((k) => k.lower + rate * (now - k.t))),
        });
        let lo = Infinity;
        let hi = -Infinity;
        for (let step = 0; step <= 1000; step++) {
          const rate = ((step / 500 - 1) * maxPpm) / 1e6;
          const b = carried(rate);
          if (b.hi < b.lo) continue;
          lo = Math.min(lo, b.lo);
          hi = Math.max(hi, b.hi);
        }
        // The scan's steps are coarse (0.4 ppm): it may miss a sliver at each edge, never find more.
        const span = 0.4e-6 * (now - kept[0]!.t) + 1e-9;
        const widest = Math.max(hi - e.offsetMs, e.offsetMs - lo);
        expect(e.errorMs).toBeGreaterThanOrEqual(widest - 1e-9);
        expect(e.errorMs).toBeLessThanOrEqual(widest + span + 1e-6);
      }
    }
  });
  test('the recent worst round trip is of the last 30 s: a slow moment minutes ago no longer sets it', () => {
    const sync = new ClockSync();
    for (let i = 0; i < 16; i++) exchange(sync, 1000 + i * 25, 300, 400, 400); // a connect storm: 800 ms round trips
    expect(sync.estimate()!.recentMaxRttMs).toBe(800);
    exchange(sync, 20_000, 300, 2, 2);
    expect(sync.estimate()!.recentMaxRttMs).toBe(800);
    for (let t = 35_000; t <= 50_000; t += 15_000) exchange(sync, t, 300, 2, 2);
    expect(sync.estimate()!.recentMaxRttMs).toBe(4);
    expect(sync.estimate()!.samples).toBe(19);
  });
});

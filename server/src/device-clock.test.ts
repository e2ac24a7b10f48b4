import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DeviceClock } from './device-clock.ts';

/**
 * A device clock 500 ms ahead of the hub's on a simulated link: the n-th ping takes `outMs(n)`
 * there and as long back. The clock is stepped 1 ms at a time.
 */
function link(outMs: (n: number) => number) {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const pings: number[] = [];
  const syncs: Array<{ at: number; pings: number; errorMs: number }> = [];
  const device: DeviceClock = new DeviceClock(
    clock,
    {
      sendPing: (text) => {
        const { t0 } = JSON.parse(text) as { t0: number };
        const out = outMs(pings.length);
        pings.push(t0);
        const t1 = t0 + out + 500;
        clock.setTimeout(() => device.pong(t0, t1, t1), 2 * out);
      },
      synced: (sync) => void syncs.push({ at: clock.now(), pings: pings.length, errorMs: sync.errorMs }),
    },
    200,
  );
  const run = (ms: number) => {
    for (let t = 0; t < ms; t++) clock.increment(1);
  };
  return { device, pings, syncs, run };
}

describe('the clock burst after a hello', () => {
  test('a steady link, whose exchanges stop tightening the bound, is spared the rest of the burst', () => {
    const l = link(() => 4);
    l.device.burst(16);
    l.run(1000);
    expect(l.pings.length).toBeGreaterThanOrEqual(4);
    expect(l.pings.length).toBeLessThanOrEqual(5);
  });

  test('a link whose trips keep getting faster gets the whole burst', () => {
    const l = link((n) => 40 * 0.8 ** n);
    l.device.burst(16);
    l.run(1000);
    expect(l.pings.length).toBe(16);
  });

  test('a link within 1 ms is spared the rest after 2 exchanges, and told its estimate at the second pong, not at the next ping time', () => {
    const l = link(() => 0.4);
    l.device.burst(16);
    l.run(1000);
    expect(l.pings).toHaveLength(2);
    expect(l.syncs).toHaveLength(1);
    // The second ping went out 25 ms after the first; its pong came back 0.8 ms later.
    expect(l.syncs[0]!.at - l.pings[0]!).toBeLessThan(2 * 25);
    expect(l.syncs[0]!.errorMs).toBeLessThanOrEqual(1);
  });

  test('a link just over 1 ms is not spared on that rule: it stops only once its bound stops tightening', () => {
    const l = link(() => 2.5);
    l.device.burst(16);
    l.run(1000);
    expect(l.pings.length).toBeGreaterThanOrEqual(4);
    expect(l.syncs.at(-1)!.errorMs).toBeGreaterThan(1);
  });

  test('the device is told its estimate once, when the burst is over, not after every exchange', () => {
    const l = link((n) => 40 * 0.8 ** n);
    l.device.burst(16);
    l.run(1000);
    expect(l.syncs).toHaveLength(1);
    expect(l.syncs[0]!.pings).toBe(16);
  });

  test('a switch on its way during a burst takes the newest estimate first', () => {
    const l = link((n) => 40 * 0.8 ** n);
    l.device.burst(16);
    l.run(200);
    expect(l.syncs).toHaveLength(0);
    l.device.beforeSwitch();
    expect(l.syncs).toHaveLength(1);
    l.run(1000);
    // What came after (the rest of the burst) is told at its end.
    expect(l.syncs).toHaveLength(2);
    expect(l.syncs[1]!.errorMs).toBeLessThan(l.syncs[0]!.errorMs);
  });

  test('before a prepare, a link that stopped tightening long ago (past a heartbeat) makes a few exchanges', () => {
    const l = link(() => 4);
    l.device.burst(16);
    l.run(1000);
    const told = l.syncs.length;
    const before = l.pings.length;
    l.run(15_000);
    l.device.beforePrepare(5000);
    l.run(1000);
    // The lead before a switch wants recent round trips: the last ones are 15 s old.
    expect(l.pings.length - before).toBeGreaterThanOrEqual(3);
    expect(l.syncs.length).toBeGreaterThanOrEqual(told);
  });

  test('before a prepare, a steady link measured within a heartbeat is spared the exchanges: more of the same cannot move its bound', () => {
    const l = link(() => 4);
    l.device.burst(16);
    l.run(1000);
    const before = l.pings.length;
    l.device.beforePrepare(5000);
    l.run(1000);
    expect(l.pings.length).toBe(before);
  });

  test('before a prepare, a link whose trips were still getting faster makes its exchanges even when measured just now', () => {
    const l = link((n) => 40 * 0.8 ** n);
    l.device.burst(6);
    l.run(1000);
    const before = l.pings.length;
    l.device.beforePrepare(5000);
    l.run(1000);
    expect(l.pings.length - before).toBe(4);
  });

  test('on links with 0-20 ms of jitter each way the burst ends with an estimate whose bound holds the true offset', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let n = 0; n < 200; n++) {
      const clock = new SimulatedClock();
      clock.set(1_000_000);
      const syncs: Array<{ offsetMs: number; errorMs: number }> = [];
      let lastOut = 0;
      let lastBack = 0;
      const device: DeviceClock = new DeviceClock(
        clock,
        {
          sendPing: (text) => {
            const { t0 } = JSON.parse(text) as { t0: number };
            // In order each way, as TCP delivers: a trip never overtakes the one before it.
            const out = (lastOut = Math.max(lastOut, clock.now() + random() * 20));
            const back = (lastBack = Math.max(lastBack, out + random() * 20));
            clock.setTimeout(() => device.pong(t0, out + 500, out + 500), back - clock.now());
          },
          synced: (sync) => void syncs.push(sync),
        },
        200,
      );
      device.burst(16);
      for (let t = 0; t < 1000; t++) clock.increment(1);
      const told = syncs.at(-1)!;
      expect(Math.abs(told.offsetMs - 500)).toBeLessThanOrEqual(told.errorMs + 1e-9);
      expect(told.errorMs).toBeLessThan(10);
    }
  });
});

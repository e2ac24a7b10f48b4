import { CloseCode, PROTOCOL_VERSION } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { Hub } from './hub.ts';
import { DEFAULT_HUB_SETTINGS } from './hub-settings.ts';
import { silentLog } from './log.ts';
import { MemoryStore } from './store/memory-store.ts';
import { TraceLog } from './trace/trace-log.ts';

const settings = { ...DEFAULT_HUB_SETTINGS, heartbeatMs: 1000, missedHeartbeats: 3 };
const hello = JSON.stringify({ type: 'device.hello', protocolVersion: PROTOCOL_VERSION, device: { id: 'speaker', name: 'speaker', kind: 'speaker', capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true } } });

/**
 * A device on a hub whose time is simulated. A step of the clock runs every timer that came due
 * in it, and only then may the test hand the hub a frame: as in a real event loop, where timers
 * run before the sockets are read, a step longer than a tick is a turn that ran long.
 */
async function device() {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const hub = new Hub({ clock, store: new MemoryStore(), trace: new TraceLog(() => clock.now()), log: silentLog, settings });
  const sent: Array<{ type: string; pingId?: number; t0?: number }> = [];
  let closed: number | null = null;
  const socket = { send: (t: string) => void sent.push(JSON.parse(t) as (typeof sent)[number]), close: (code: number) => void (closed ??= code), bufferedAmount: 0 };
  const conn = hub.connectDevice(socket, { userId: 'alice', role: 'device' });
  conn.receive(hello, false);
  for (let i = 0; i < 50 && !sent.some((f) => f.type === 'hub.welcome'); i++) await new Promise((r) => setTimeout(r, 5));
  expect(sent.some((f) => f.type === 'hub.welcome')).toBe(true);
  let answered = 0;
  /** Answer every ping the hub has sent so far, as the device would have. */
  const answer = () => {
    for (const p of sent.filter((f) => f.type === 'clock.ping').slice(answered)) {
      answered++;
      conn.receive(`{"type":"clock.pong","pingId":${p.pingId},"t0":${p.t0},"t1":${clock.now()},"t2":${clock.now()}}`, false);
    }
  };
  /** `ms` of the hub on time, in ticks of 100 ms; the device answers each ping within the tick when `answering`. */
  const run = (ms: number, answering: boolean) => {
    for (let t = 0; t < ms && closed === null; t += 100) {
      clock.increment(100);
      if (answering) answer();
    }
  };
  const pings = () => sent.filter((f) => f.type === 'clock.ping').length;
  return { clock, hub, run, answer, pings, closed: () => closed };
}

describe('heartbeat timeouts and the hub falling behind', () => {
  test('a device that answers every ping is kept through a stall of the hub far longer than the heartbeat limit', async () => {
    const d = await device();
    d.run(5000, true);
    // The hub falls 20 s behind (20x the heartbeat, past missedHeartbeats * heartbeatMs): the
    // device answered its last ping meanwhile, but the answer waits in the socket until the
    // timers of that long turn have run.
    d.clock.increment(20_000);
    expect(d.closed()).toBeNull();
    d.answer();
    d.run(5000, true);
    expect(d.closed()).toBeNull();
    await d.hub.close();
  });

  test('a hub that stays behind on every tick, so that each device is pinged late, keeps devices that answer', async () => {
    const d = await device();
    // Every tick comes 400 ms late: each device is visited every 5 s instead of every 1 s, so it
    // answers a ping only every 5 s of wall time, past the limit of 3 heartbeats.
    for (let t = 0; t < 60 && d.closed() === null; t++) {
      d.clock.increment(500);
      d.answer();
    }
    expect(d.closed()).toBeNull();
    await d.hub.close();
  });

  test('a device that stops answering is closed with 4014, also when the hub stalled meanwhile', async () => {
    const d = await device();
    d.run(3000, true);
    const before = d.pings();
    d.run(1000, false);
    d.clock.increment(20_000);
    expect(d.closed()).toBeNull();
    d.run(10_000, false);
    expect(d.closed()).toBe(CloseCode.HEARTBEAT_TIMEOUT);
    // It was asked, and did not answer, at least as many times as it may miss.
    expect(d.pings() - before).toBeGreaterThanOrEqual(settings.missedHeartbeats);
    await d.hub.close();
  });
});

import { CloseCode, PROTOCOL_VERSION } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { Hub } from './hub.ts';
import { DEFAULT_HUB_SETTINGS } from './hub-settings.ts';
import { silentLog } from './log.ts';
import { MemoryStore } from './store/memory-store.ts';
import { TraceLog } from './trace/trace-log.ts';

/** An in-memory socket that records what it is sent and how it was closed. */
function socket() {
  const s = { sent: [] as Array<Record<string, unknown>>, closed: null as number | null };
  return {
    s,
    socket: {
      send: (t: string) => s.sent.push(JSON.parse(t) as Record<string, unknown>),
      close: (code: number) => void (s.closed ??= code),
      pause: () => {},
      resume: () => {},
      bufferedAmount: 0,
    },
  };
}
const hello = JSON.stringify({ type: 'device.hello', protocolVersion: PROTOCOL_VERSION, device: { id: 'm', name: 'm', kind: 'speaker', capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true } } });
const pong = '{"type":"clock.pong","pingId":1,"t0":1,"t1":1,"t2":1}';
const rateLimited = (sent: Array<Record<string, unknown>>) => sent.filter((m) => m.type === 'error' && m.code === 'RATE_LIMITED').length;

/** A device socket of a hub at the default frame rate (50/s, burst 200), on a simulated clock. */
async function flooder() {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const hub = new Hub({ clock, store: new MemoryStore(), trace: new TraceLog(() => clock.now()), log: silentLog, settings: DEFAULT_HUB_SETTINGS });
  const m = socket();
  const conn = hub.connectDevice(m.socket, { userId: 'mallory', role: 'device' });
  conn.receive(hello, false);
  for (let i = 0; i < 50 && !m.s.sent.some((f) => f.type === 'hub.welcome'); i++) await new Promise((r) => setTimeout(r, 5));
  expect(m.s.sent.some((f) => f.type === 'hub.welcome')).toBe(true);
  /** `n` valid frames (`frame(i)`, pongs by default), one every `everyMs` of the simulated clock; stops early once the socket is closed. */
  const send = (n: number, everyMs: number, frame: (i: number) => string = () => pong) => {
    for (let i = 0; i < n && m.s.closed === null; i++) {
      clock.increment(everyMs);
      conn.receive(frame(i), false);
    }
  };
  /** The same, a turn of the event loop after each frame: every frame is handled, none waits for its user's next turn. */
  const sendTurns = async (n: number, everyMs: number, frame: (i: number) => string) => {
    for (let i = 0; i < n && m.s.closed === null; i++) {
      clock.increment(everyMs);
      conn.receive(frame(i), false);
      await new Promise((r) => setImmediate(r));
    }
  };
  return { clock, hub, m, send, sendTurns, rate: DEFAULT_HUB_SETTINGS.framesPerSec, burst: DEFAULT_HUB_SETTINGS.frameBurst };
}

describe('the frame flood close (4029)', () => {
  test('a sustained flood of valid commands at twice the frame rate is told RATE_LIMITED once, then closed with 4029, though every refill lets a frame through', async () => {
    const { hub, m, send, rate } = await flooder();
    // 100 commands/s against 50 frames/s for up to 60 s: the bucket lets one frame in two through,
    // which used to reset the count of dropped frames each time, so this flood was never closed.
    send(60 * 2 * rate, 1000 / (2 * rate), (i) => `{"type":"command.volume","commandId":"v${i}","volumePercent":${i % 100}}`);
    expect(m.s.closed).toBe(CloseCode.RATE_LIMITED);
    // One error for the dropped frames (the commands let through are answered with command.result).
    expect(rateLimited(m.s.sent)).toBe(1);
    expect(m.s.sent.filter((f) => f.type === 'command.result').length).toBeGreaterThan(0);
    await hub.close();
  });

  test('a flood just over the rate is closed too, once a second burst has been dropped', async () => {
    const { hub, m, send, rate, burst } = await flooder();
    // 10% over: the burst (200) is used up in 40 s, then 5 frames/s are dropped: a second burst in 40 s more.
    const everyMs = 1000 / (rate * 1.1);
    send(Math.round((burst / (rate * 0.1)) * rate * 1.1 * 0.5), everyMs);
    expect(m.s.closed, 'half-way through, still open').toBeNull();
    send(Math.round((burst / (rate * 0.1)) * rate * 1.1 * 2), everyMs);
    expect(m.s.closed).toBe(CloseCode.RATE_LIMITED);
    await hub.close();
  });

  test('a socket at the frame rate is never refused, and overshoots with a quiet second between them are each refused but never closed', async () => {
    const { clock, hub, m, send, rate, burst } = await flooder();
    send(60 * rate, 1000 / rate);
    expect(m.s.closed).toBeNull();
    expect(rateLimited(m.s.sent)).toBe(0);
    for (let round = 0; round < 5; round++) {
      // A burst of 1.5x the bucket at once: half a burst dropped, then a quiet while the bucket refills.
      send(burst * 1.5, 0);
      clock.increment((burst / rate) * 1000);
    }
    expect(m.s.closed).toBeNull();
    expect(rateLimited(m.s.sent)).toBe(5);
    await hub.close();
  });
});

describe('the command flood close (4029)', () => {
  const volume = (i: number) => `{"type":"command.volume","commandId":"v${i}","volumePercent":${i % 100}}`;
  const refusedCommands = (sent: Array<Record<string, unknown>>) => sent.filter((m) => m.type === 'command.result' && m.code === 'RATE_LIMITED').length;

  test("a socket that goes on sending commands over its user's budget is answered RATE_LIMITED each time, then closed with 4029 after COMMAND_REFUSALS_PER_FLOOD refusals", async () => {
    const { hub, m, sendTurns, rate } = await flooder();
    const { commandsPerSec, commandBurst, commandRefusalsPerFlood } = DEFAULT_HUB_SETTINGS;
    // Twice the user's command rate, under the socket's frame rate: no frame is dropped, every
    // refusal is a command's. The burst lasts commandBurst / commandsPerSec seconds, then one in two is refused.
    expect(2 * commandsPerSec).toBeLessThan(rate);
    await sendTurns(10 * (commandBurst + 4 * commandRefusalsPerFlood), 1000 / (2 * commandsPerSec), volume);
    expect(m.s.closed).toBe(CloseCode.RATE_LIMITED);
    expect(refusedCommands(m.s.sent)).toBe(commandRefusalsPerFlood);
    expect(rateLimited(m.s.sent), 'no frame dropped').toBe(0);
    await hub.close();
  });

  test('bursts of commands over the budget with a quiet second between are refused, and the socket stays open', async () => {
    const { clock, hub, m, sendTurns } = await flooder();
    const { commandsPerSec, commandBurst, commandRefusalsPerFlood } = DEFAULT_HUB_SETTINGS;
    let i = 0;
    for (let round = 0; round < 5; round++) {
      // A whole burst and as many more as one flood may have refused, at once; then the budget refills.
      await sendTurns(commandBurst + commandRefusalsPerFlood, 0, () => volume(i++));
      clock.increment((commandBurst / commandsPerSec) * 1000);
    }
    expect(m.s.closed).toBeNull();
    expect(refusedCommands(m.s.sent)).toBe(5 * commandRefusalsPerFlood);
    await hub.close();
  });
});

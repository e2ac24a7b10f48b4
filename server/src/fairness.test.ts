import { PROTOCOL_VERSION } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { systemClock } from './clock.ts';
import { Hub } from './hub.ts';
import { DEFAULT_HUB_SETTINGS } from './hub-settings.ts';
import { silentLog } from './log.ts';
import { MemoryStore } from './store/memory-store.ts';
import { TraceLog } from './trace/trace-log.ts';

/** An in-memory socket that records what it is sent and whether reading is paused. */
function socket() {
  const s = { sent: [] as Array<Record<string, unknown>>, paused: false };
  return {
    s,
    socket: {
      send: (t: string) => s.sent.push(JSON.parse(t) as Record<string, unknown>),
      close: () => {},
      pause: () => (s.paused = true),
      resume: () => (s.paused = false),
      bufferedAmount: 0,
    },
  };
}
const hello = (id: string) =>
  JSON.stringify({ type: 'device.hello', protocolVersion: PROTOCOL_VERSION, device: { id, name: id, kind: 'speaker', capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true } } });
const turn = () => new Promise((r) => setImmediate(r));
const errors = (sent: Array<Record<string, unknown>>) => sent.filter((m) => m.type === 'error').map((m) => m.ref);

describe("per-user fairness in one turn of the event loop", () => {
  test("a user's burst past the turn budget waits for later turns, in order, with the socket paused; another user is served at once", async () => {
    const settings = { ...DEFAULT_HUB_SETTINGS, framesPerUserPerTurn: 4, frameGuard: { ...DEFAULT_HUB_SETTINGS.frameGuard, maxInvalidFrames: 1000 } };
    const hub = new Hub({ clock: systemClock, store: new MemoryStore(), trace: new TraceLog(() => Date.now()), log: silentLog, settings });
    const mallory = socket();
    const victim = socket();
    const m = hub.connectDevice(mallory.socket, { userId: 'mallory', role: 'device' });
    const v = hub.connectDevice(victim.socket, { userId: 'victim', role: 'device' });
    m.receive(hello('m'), false);
    v.receive(hello('v'), false);
    await new Promise((r) => setTimeout(r, 20));

    // Ten frames in one turn (each answered with UNKNOWN_TYPE, ref = its type): four now, the rest later.
    for (let i = 0; i < 10; i++) m.receive(`{"type":"x.${i}"}`, false);
    v.receive('{"type":"y.0"}', false);
    expect(errors(mallory.s.sent)).toEqual(['x.0', 'x.1', 'x.2', 'x.3']);
    expect(mallory.s.paused).toBe(true);
    expect(errors(victim.s.sent)).toEqual(['y.0']);

    await turn();
    expect(errors(mallory.s.sent)).toEqual(['x.0', 'x.1', 'x.2', 'x.3', 'x.4', 'x.5', 'x.6', 'x.7']);
    await turn();
    expect(errors(mallory.s.sent)).toEqual(Array.from({ length: 10 }, (_, i) => `x.${i}`));
    expect(mallory.s.paused).toBe(false);
    await hub.close();
  });
});

import { CloseCode, PROTOCOL_VERSION } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { systemClock } from './clock.ts';
import { Hub } from './hub.ts';
import { DEFAULT_HUB_SETTINGS } from './hub-settings.ts';
import { silentLog } from './log.ts';
import { MemoryStore } from './store/memory-store.ts';
import { TraceLog } from './trace/trace-log.ts';

/** An in-memory socket whose peer reads nothing: its output buffer only grows. */
function stuckSocket() {
  const s = { sent: 0, bufferedAmount: 0, closed: null as null | { code: number; reason: string } };
  return {
    state: s,
    socket: {
      send: (text: string) => {
        s.sent++;
        s.bufferedAmount += text.length;
      },
      close: (code: number, reason: string) => (s.closed = { code, reason }),
      get bufferedAmount() {
        return s.bufferedAmount;
      },
    },
  };
}

describe('slow consumers', () => {
  test('a device whose output buffer passes the limit is disconnected with RATE_LIMITED', async () => {
    const hub = new Hub({ clock: systemClock, store: new MemoryStore(), trace: new TraceLog(() => Date.now()), log: silentLog, settings: { ...DEFAULT_HUB_SETTINGS, maxBufferedBytes: 2000 } });
    const stuck = stuckSocket();
    const conn = hub.connectDevice(stuck.socket, { userId: 'u', role: 'device' });
    conn.receive(
      JSON.stringify({ type: 'device.hello', protocolVersion: PROTOCOL_VERSION, device: { id: 'd', name: 'd', kind: 'tv', capabilities: { canPlay: true, volumeSteps: 1, mediaTypes: ['audio/track'], controllable: true } } }),
      false,
    );
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 50 && !stuck.state.closed; i++) conn.ping();
    expect(stuck.state.closed?.code).toBe(CloseCode.RATE_LIMITED);
    await hub.close();
  });
});

import { PROTOCOL_VERSION } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { systemClock } from './clock.ts';
import { Hub } from './hub.ts';
import { DEFAULT_HUB_SETTINGS } from './hub-settings.ts';
import { statusOf } from './http/status-of.ts';
import { silentLog } from './log.ts';
import { MemoryStore } from './store/memory-store.ts';
import { TraceLog } from './trace/trace-log.ts';

const socket = () => ({ send: () => {}, close: () => {}, bufferedAmount: 0 });
const hello = (id: string) =>
  JSON.stringify({ type: 'device.hello', protocolVersion: PROTOCOL_VERSION, device: { id, name: id, kind: 'speaker', capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true } } });

describe('a command with no outcome in time', () => {
  test('is answered COMMAND_TIMEOUT (HTTP 504), not INTERNAL, and the session carries on', async () => {
    // The target never answers its prepare (it never loads), and the prepare timeout outlasts the command timeout.
    const settings = { ...DEFAULT_HUB_SETTINGS, commandTimeoutMs: 150, session: { ...DEFAULT_HUB_SETTINGS.session, prepareTimeoutMs: 10_000 } };
    const hub = new Hub({ clock: systemClock, store: new MemoryStore(), trace: new TraceLog(() => Date.now()), log: silentLog, settings });
    for (const id of ['phone', 'speaker']) hub.connectDevice(socket(), { userId: 'u', role: 'device' }).receive(hello(id), false);
    await new Promise((r) => setTimeout(r, 20));
    const result = await hub.command('u', { type: 'command.play', commandId: 'c1', deviceId: 'speaker', contextUri: 'demo:playlist:everything' }, 'http');
    expect(result).toMatchObject({ ok: false, code: 'COMMAND_TIMEOUT', message: expect.stringMatching(/^no outcome within 150 ms; it may still take effect: send it again with the same commandId/) as string });
    if (!result.ok) expect(statusOf(result.code)).toBe(504);
    const volume = await hub.command('u', { type: 'command.volume', commandId: 'c2', deviceId: 'phone', volumePercent: 30 }, 'http');
    expect(volume.ok).toBe(true);
    await hub.close();
  });
});

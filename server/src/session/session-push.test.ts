import type { Capabilities } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { RecordingLink } from '../testing/session-harness.ts';
import { TraceLog } from '../trace/trace-log.ts';
import { createSessionMachine } from './session-machine.ts';
import { Session } from './session.ts';
import { DEFAULT_SESSION_SETTINGS as settings } from './settings.ts';

const CAPS: Capabilities = { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true };
const machine = createSessionMachine(settings);

/** A session with recording links, and the pushes its trace holds. */
function session() {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const trace = new TraceLog(() => clock.now());
  const s = new Session({
    userId: 'alice',
    clock,
    machine,
    settings,
    trace,
    replyHttp: () => {},
    persist: () => {},
    idle: () => {},
    onError: (err) => {
      throw err;
    },
  });
  const links = new Map<string, RecordingLink>();
  const join = (id: string) => {
    const link = new RecordingLink();
    links.set(id, link);
    s.link(id, link);
    s.send({ type: 'device.join', device: { id, name: id, kind: 'speaker', capabilities: CAPS }, resume: undefined, connId: `c-${id}`, heartbeatMs: 5000 });
  };
  const pushesTraced = () => trace.read('alice').filter((e) => e.kind === 'message.out' && e.type === 'cluster.update');
  return { s, links, join, pushesTraced };
}

describe("a session's cluster pushes", () => {
  test('each push reaches every other linked device and is traced once, naming them', () => {
    const { links, join, pushesTraced } = session();
    for (const id of ['a', 'b', 'c']) join(id);
    expect(links.get('a')!.of('cluster.update').map((u) => u.cluster.devices.length)).toEqual([2, 3]);
    expect(links.get('b')!.of('cluster.update').map((u) => u.cluster.devices.length)).toEqual([3]);
    expect(links.get('c')!.of('cluster.update')).toHaveLength(0);
    expect(links.get('c')!.last('hub.welcome')!.cluster.devices).toHaveLength(3);
    expect(pushesTraced().map((e) => (e as { recipients?: string[] }).recipients)).toEqual([['a'], ['a', 'b']]);
  });

  test("a command's result goes after the push of its change", () => {
    const { s, links, join } = session();
    join('a');
    join('b');
    s.send({ type: 'command', command: { type: 'command.volume', commandId: 'v1', volumePercent: 20, deviceId: 'b' }, replyTo: { kind: 'device', deviceId: 'a' }, origin: 'a' });
    expect(links.get('a')!.inbox.map((m) => m.type).slice(-2)).toEqual(['cluster.update', 'command.result']);
    expect(links.get('a')!.last('command.result')!.ok).toBe(true);
    expect(links.get('a')!.last('cluster.update')!.cluster.revision).toBe(s.context.revision);
    expect(links.get('b')!.last('cluster.update')!.cluster.devices.find((d) => d.id === 'b')!.volume).toBe(20);
  });
});

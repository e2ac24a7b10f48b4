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

/** A session whose turns end when the test says so. */
function session() {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const trace = new TraceLog(() => clock.now());
  let turnEnd: Array<() => void> = [];
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
    endOfTurn: (fn) => void turnEnd.push(fn),
  });
  const links = new Map<string, RecordingLink>();
  const join = (id: string) => {
    const link = new RecordingLink();
    links.set(id, link);
    s.link(id, link);
    s.send({ type: 'device.join', device: { id, name: id, kind: 'speaker', capabilities: CAPS }, resume: undefined, connId: `c-${id}`, heartbeatMs: 5000 });
  };
  const endTurn = () => {
    const fns = turnEnd;
    turnEnd = [];
    for (const fn of fns) fn();
  };
  const pushesTraced = () => trace.read('alice').filter((e) => e.kind === 'message.out' && e.type === 'cluster.update');
  return { s, links, join, endTurn, pushesTraced };
}

describe('the pushes of one event-loop turn', () => {
  test('four devices of a household joining in one turn get one push each, the newest, and it is traced once naming them', () => {
    const { links, join, endTurn, pushesTraced } = session();
    for (const id of ['a', 'b', 'c', 'd']) join(id);
    endTurn();
    const revisions = [...links.values()].map((l) => l.last('hub.welcome')!.cluster.revision);
    const newest = Math.max(...revisions);
    for (const id of ['a', 'b', 'c']) {
      expect(links.get(id)!.of('cluster.update').map((u) => u.cluster.revision), id).toEqual([newest]);
      expect(links.get(id)!.last('cluster.update')!.cluster.devices).toHaveLength(4);
    }
    // The last to join got the newest cluster in its welcome, and no push.
    expect(links.get('d')!.of('cluster.update')).toHaveLength(0);
    expect(pushesTraced().map((e) => (e as { recipients?: string[] }).recipients)).toEqual([['a', 'b', 'c']]);
  });

  test('joins in separate turns are each pushed as before', () => {
    const { links, join, endTurn, pushesTraced } = session();
    for (const id of ['a', 'b', 'c']) {
      join(id);
      endTurn();
    }
    expect(links.get('a')!.of('cluster.update')).toHaveLength(2);
    expect(links.get('b')!.of('cluster.update')).toHaveLength(1);
    expect(pushesTraced()).toHaveLength(2);
  });

  test("a command's result goes after the push of its change, in the same turn", () => {
    const { s, links, join, endTurn } = session();
    join('a');
    join('b');
    endTurn();
    s.send({ type: 'command', command: { type: 'command.volume', commandId: 'v1', volumePercent: 20, deviceId: 'b' }, replyTo: { kind: 'device', deviceId: 'a' }, origin: 'a' });
    const a = links.get('a')!.inbox.map((m) => m.type);
    // Without waiting for the turn's end: the result to `a` takes the push it is owed first.
    expect(a.slice(-2)).toEqual(['cluster.update', 'command.result']);
    endTurn();
    expect(links.get('b')!.last('cluster.update')!.cluster.devices.find((d) => d.id === 'b')!.volume).toBe(20);
  });
});

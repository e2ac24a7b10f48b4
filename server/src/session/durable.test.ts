import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { RecordingLink } from '../testing/session-harness.ts';
import { TraceLog } from '../trace/trace-log.ts';
import { createSessionMachine } from './session-machine.ts';
import { Session } from './session.ts';
import type { PersistState } from './session-options.ts';
import { DEFAULT_SESSION_SETTINGS } from './settings.ts';

/** A durable session whose writes wait until the test settles them. */
function durableSession() {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const writes: Array<{ state: PersistState; done: () => void; fail: (err: unknown) => void }> = [];
  const lost: unknown[] = [];
  const session = new Session({
    userId: 'alice',
    clock,
    machine: createSessionMachine(DEFAULT_SESSION_SETTINGS),
    settings: DEFAULT_SESSION_SETTINGS,
    trace: new TraceLog(() => clock.now()),
    replyHttp: () => {},
    persist: () => {
      throw new Error('a durable session never calls persist');
    },
    durable: {
      save: (state) => new Promise<void>((done, fail) => writes.push({ state, done, fail })),
      lost: (err) => lost.push(err),
    },
    idle: () => {},
    onError: (err) => {
      throw err;
    },
  });
  const join = (id: string) => {
    const link = new RecordingLink();
    session.link(id, link);
    session.send({
      type: 'device.join',
      device: { id, name: id, kind: 'speaker', capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true } },
      resume: undefined,
      connId: `conn-${id}`,
      heartbeatMs: 5000,
    });
    return link;
  };
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { session, writes, lost, join, flush };
}

describe('a durable session (many nodes)', () => {
  test('stores every change, and carries out its effects only once it is stored', async () => {
    const s = durableSession();
    const phone = s.join('phone');
    await s.flush();
    expect(phone.inbox).toEqual([]);
    // The open (grace and idle deadlines) and the join are two writes, in order.
    expect(s.writes.map((w) => Object.keys(w.state.context.devices))).toEqual([[], ['phone']]);
    s.writes[0]!.done();
    await s.flush();
    expect(phone.inbox).toEqual([]);
    s.writes[1]!.done();
    await s.flush();
    expect(phone.of('hub.welcome')).toHaveLength(1);
  });

  test('effects go out in order even when a later write is stored first', async () => {
    const s = durableSession();
    const phone = s.join('phone');
    s.session.send({ type: 'command', command: { type: 'command.volume', volumePercent: 20, commandId: 'v1' }, replyTo: { kind: 'device', deviceId: 'phone' }, origin: 'phone' });
    s.writes[2]!.done();
    await s.flush();
    expect(phone.inbox).toEqual([]);
    for (const w of s.writes.slice(0, 2)) w.done();
    await s.flush();
    expect(phone.inbox.map((m) => m.type)).toEqual(['hub.welcome', 'command.result']);
  });

  test('a refused write (a newer owner fenced it) stops the session: nothing waiting on it is sent, and it says it lost the session', async () => {
    const s = durableSession();
    const phone = s.join('phone');
    s.writes[0]!.done();
    const refused = new Error('fenced');
    s.writes[1]!.fail(refused);
    await s.flush();
    expect(phone.inbox).toEqual([]);
    expect(s.lost).toEqual([refused]);
    s.session.send({ type: 'command', command: { type: 'command.pause', commandId: 'p1' }, replyTo: { kind: 'device', deviceId: 'phone' }, origin: 'phone' });
    expect(s.writes).toHaveLength(2);
  });
});

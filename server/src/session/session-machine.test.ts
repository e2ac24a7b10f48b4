import type { Command, HubMessage } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { initialContext, type Effect } from './context.ts';
import type { MachineEvent } from './events.ts';
import { createSessionMachine } from './session-machine.ts';
import { stateName, stateValue } from './session-state.ts';
import { DEFAULT_SESSION_SETTINGS as settings } from './settings.ts';

/**
 * The chart as a pure function: XState's `transition()` computes the next snapshot and the
 * actions without an actor, timers or a host. Everything the machine needs arrives in the event.
 */
const machine = createSessionMachine(settings);
type Snapshot = SnapshotFrom<typeof machine>;
const T0 = 1_000_000;
const CAPS = { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track' as const], controllable: true };

/** The effects a transition emitted, in order. */
function effectsOf(actions: Array<{ type: string; params?: unknown }>): Effect[] {
  return actions.flatMap((a) => (a.type === 'xstate.emit' ? (a.params as { event: { effects: Effect[] } }).event.effects : []));
}

function step(snapshot: Snapshot, event: MachineEvent): [Snapshot, Effect[]] {
  const [next, actions] = transition(machine, snapshot, event);
  return [next, effectsOf(actions)];
}

function sent(effects: Effect[], deviceId: string, type: HubMessage['type']) {
  return effects.flatMap((e) => (e.type === 'send' && e.deviceId === deviceId && e.message.type === type ? [e.message] : []));
}

let commands = 0;
const command = (from: string, c: Record<string, unknown> & { type: string }, now: number, commandId = `cmd-${++commands}`): MachineEvent => ({
  type: 'command',
  command: { ...c, commandId } as Command,
  replyTo: { kind: 'device', deviceId: from },
  origin: from,
  now,
});

/** phone plays an album since T0; speaker is connected and idle. Returns the snapshot and the transfer to the speaker, prepared at T0 + 10 s. */
function preparingToSpeaker(): { snapshot: Snapshot; transferId: string } {
  let [s] = initialTransition(machine, initialContext('alice', 'n0'));
  for (const id of ['phone', 'speaker']) {
    [s] = step(s, { type: 'device.join', device: { id, name: id, kind: 'speaker', capabilities: CAPS }, resume: undefined, connId: `c-${id}`, heartbeatMs: 5000, now: T0 });
  }
  [s] = step(s, command('phone', { type: 'command.transfer', deviceId: 'phone' }, T0));
  [s] = step(s, command('phone', { type: 'command.play', contextUri: 'demo:album:night-drive' }, T0));
  const [prepared, effects] = step(s, command('phone', { type: 'command.transfer', deviceId: 'speaker' }, T0 + 10_000));
  const prepare = sent(effects, 'speaker', 'transfer.prepare')[0];
  if (prepare?.type !== 'transfer.prepare') throw new Error('no transfer.prepare sent');
  return { snapshot: prepared, transferId: prepare.transferId };
}

describe('the session machine as a pure function', () => {
  test('a transfer to another device waits in transferring.preparing, with the prepare deadline taken from the event time', () => {
    const { snapshot } = preparingToSpeaker();
    expect(snapshot.value).toEqual({ transferring: 'preparing' });
    expect(snapshot.context.deadlines['prepare']?.at).toBe(T0 + 10_000 + settings.prepareTimeoutMs);
  });

  test('the same snapshot and event give the same result every time: the machine reads nothing outside them', () => {
    const { snapshot, transferId } = preparingToSpeaker();
    const ready: MachineEvent = { type: 'transfer.ready', deviceId: 'speaker', transferId, now: T0 + 10_100, leads: { speaker: 400, phone: 250 } };
    const [a, effectsA] = step(snapshot, ready);
    // Another session's event in between must not change what this one computes.
    preparingToSpeaker();
    const [b, effectsB] = step(snapshot, ready);
    expect(b.value).toEqual(a.value);
    expect(b.context).toEqual(a.context);
    expect(effectsB).toEqual(effectsA);
  });

  test("a ready target's switch is scheduled at the event time plus the largest lead the event carries for the two devices", () => {
    const { snapshot, transferId } = preparingToSpeaker();
    const now = T0 + 10_100;
    const [s, effects] = step(snapshot, { type: 'transfer.ready', deviceId: 'speaker', transferId, now, leads: { speaker: 400, phone: 250, tv: 9_000 } });
    expect(stateName(s.value)).toBe('switching');
    const start = sent(effects, 'speaker', 'transfer.switch')[0];
    const stop = sent(effects, 'phone', 'transfer.switch')[0];
    expect(start).toMatchObject({ role: 'start', atServerTime: now + 400 });
    expect(stop).toMatchObject({ role: 'stop', atServerTime: now + 400 });
    // A device whose lead is not known yet gets the minimum lead.
    const [, unknown] = step(snapshot, { type: 'transfer.ready', deviceId: 'speaker', transferId, now, leads: {} });
    expect(sent(unknown, 'speaker', 'transfer.switch')[0]).toMatchObject({ atServerTime: now + settings.minLeadMs });
  });

  test('a target that fails is rolled back with TRANSFER_FAILED the same way while preparing and while switching', () => {
    const { snapshot: preparing, transferId } = preparingToSpeaker();
    const [switching] = step(preparing, { type: 'transfer.ready', deviceId: 'speaker', transferId, now: T0 + 10_100, leads: {} });
    for (const from of [preparing, switching]) {
      const [s, effects] = step(from, { type: 'transfer.failed', deviceId: 'speaker', transferId, reason: 'no codec', now: T0 + 10_200 });
      expect(s.value).toBe('idle');
      expect(s.context.transfer).toBeNull();
      expect(s.context.activeDeviceId).toBe('phone');
      expect(sent(effects, 'speaker', 'transfer.abort')[0]).toMatchObject({ code: 'TRANSFER_FAILED' });
      expect(effects).toContainEqual({
        type: 'reply',
        to: { kind: 'device', deviceId: 'phone' },
        result: expect.objectContaining({ ok: false, code: 'TRANSFER_FAILED', message: 'the target could not play: no codec' }),
      });
    }
  });

  test('each phase times out on its own deadline only: a prepare deadline that fires after the switch was scheduled changes nothing', () => {
    const { snapshot: preparing, transferId } = preparingToSpeaker();
    const [timedOut] = step(preparing, { type: 'timer.prepare', transferId, now: T0 + 10_000 + settings.prepareTimeoutMs });
    expect(timedOut.value).toBe('idle');
    expect(timedOut.context.transfer).toBeNull();

    const [switching] = step(preparing, { type: 'transfer.ready', deviceId: 'speaker', transferId, now: T0 + 10_100, leads: {} });
    const [late, lateEffects] = step(switching, { type: 'timer.prepare', transferId, now: T0 + 10_200 });
    expect(late.value).toEqual({ transferring: 'switching' });
    expect(lateEffects).toEqual([]);
    const [rolledBack, effects] = step(switching, { type: 'timer.switch', transferId, now: T0 + 20_000 });
    expect(rolledBack.value).toBe('idle');
    expect(sent(effects, 'phone', 'transfer.abort')[0]).toMatchObject({ code: 'TRANSFER_TIMEOUT', resumeAt: expect.any(Object) });
  });

  test('a command that waited out the switch runs at the time of the event that ended it', () => {
    const { snapshot: preparing, transferId } = preparingToSpeaker();
    const [switching] = step(preparing, { type: 'transfer.ready', deviceId: 'speaker', transferId, now: T0 + 10_100, leads: {} });
    const [deferred] = step(switching, command('phone', { type: 'command.pause' }, T0 + 10_150, 'pause-1'));
    expect(deferred.context.deferred).toHaveLength(1);
    const startedAt = T0 + 10_400;
    const [done, effects] = step(deferred, { type: 'transfer.started', deviceId: 'speaker', transferId, now: startedAt });
    expect(done.value).toBe('idle');
    expect(done.context.deferred).toEqual([]);
    expect(done.context.activeDeviceId).toBe('speaker');
    expect(done.context.position).toMatchObject({ rate: 0, atServerTime: startedAt });
    expect(effects).toContainEqual({ type: 'reply', to: { kind: 'device', deviceId: 'phone' }, result: expect.objectContaining({ commandId: 'pause-1', ok: true }) });
  });

  test('a command sent again during the switch runs once when it ends; its copy is answered with what the first was (a replay)', () => {
    const { snapshot: preparing, transferId } = preparingToSpeaker();
    const [switching] = step(preparing, { type: 'transfer.ready', deviceId: 'speaker', transferId, now: T0 + 10_100, leads: {} });
    const [once] = step(switching, command('phone', { type: 'command.next' }, T0 + 10_150, 'next-1'));
    const [twice] = step(once, command('speaker', { type: 'command.next' }, T0 + 10_160, 'next-1'));
    expect(twice.context.deferred).toHaveLength(2);
    const [done, effects] = step(twice, { type: 'transfer.started', deviceId: 'speaker', transferId, now: T0 + 10_400 });
    const replies = effects.filter((e) => (e.type === 'reply' && e.result.commandId === 'next-1') || e.type === 'replay');
    expect(replies).toEqual([
      { type: 'reply', to: { kind: 'device', deviceId: 'phone' }, result: expect.objectContaining({ commandId: 'next-1', ok: true }) },
      { type: 'replay', to: { kind: 'device', deviceId: 'speaker' }, commandId: 'next-1' },
    ]);
    // The next track once, not twice.
    const [nextOnce] = step(once, { type: 'transfer.started', deviceId: 'speaker', transferId, now: T0 + 10_400 });
    expect(done.context.queue).toEqual(nextOnce.context.queue);
  });

  test('a state stored in either form (a leaf name from before the transferring parent, or the nested value) resolves to the same state', () => {
    expect(stateValue('switching')).toEqual({ transferring: 'switching' });
    expect(stateValue({ transferring: 'preparing' })).toEqual({ transferring: 'preparing' });
    expect(stateValue('idle')).toBe('idle');
    expect(() => stateValue('dancing')).toThrow(/not a session state/);
    const { snapshot } = preparingToSpeaker();
    const restored = machine.resolveState({ value: stateValue('preparing'), context: snapshot.context });
    expect(restored.value).toEqual(snapshot.value);
  });
});

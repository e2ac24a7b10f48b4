import type { Command, CommandResult, HubMessage } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { initialContext, type Effect } from './context.ts';
import type { MachineEvent } from './events.ts';
import { createSessionMachine } from './session-machine.ts';
import { stateName } from './session-state.ts';
import { DEFAULT_SESSION_SETTINGS as settings } from './settings.ts';

/** Groups through the chart as a pure function (XState's `transition()`), as session-machine.test.ts does for devices. */
const machine = createSessionMachine(settings);
type Snapshot = SnapshotFrom<typeof machine>;
const T0 = 1_000_000;
const CAPS = { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track' as const], controllable: true };
const REMOTE = { ...CAPS, canPlay: false };
const LEADS = { phone: 200, a: 300, b: 250, c: 280 };

function effectsOf(actions: Array<{ type: string; params?: unknown }>): Effect[] {
  return actions.flatMap((a) => (a.type === 'xstate.emit' ? (a.params as { event: { effects: Effect[] } }).event.effects : []));
}

function step(snapshot: Snapshot, event: MachineEvent): [Snapshot, Effect[]] {
  const [next, actions] = transition(machine, snapshot, event);
  return [next, effectsOf(actions)];
}

function sent<T extends HubMessage['type']>(effects: Effect[], deviceId: string, type: T): Array<Extract<HubMessage, { type: T }>> {
  return effects.flatMap((e) => (e.type === 'send' && e.deviceId === deviceId && e.message.type === type ? [e.message as Extract<HubMessage, { type: T }>] : []));
}

const replies = (effects: Effect[]): CommandResult[] => effects.flatMap((e) => (e.type === 'reply' ? [e.result] : []));

let commands = 0;
const command = (c: Record<string, unknown> & { type: string }, now: number): MachineEvent => ({
  type: 'command',
  command: { ...c, commandId: `cmd-${++commands}` } as Command,
  replyTo: { kind: 'device', deviceId: 'phone' },
  origin: 'phone',
  now,
});

const join = (s: Snapshot, id: string, caps = CAPS, volume = 50): Snapshot =>
  step(s, { type: 'device.join', device: { id, name: id, kind: 'speaker', capabilities: caps, volume }, resume: undefined, connId: `c-${id}`, heartbeatMs: 5000, now: T0 })[0];

/** phone plays an album; speakers a, b, c are connected, and a group of the three exists. */
function playingOnPhoneWithGroup(): { s: Snapshot; groupId: string } {
  let [s] = initialTransition(machine, initialContext('alice', 'n0'));
  s = join(s, 'phone');
  s = join(s, 'a', CAPS, 20);
  s = join(s, 'b', CAPS, 40);
  s = join(s, 'c', CAPS, 60);
  s = join(s, 'remote', REMOTE);
  [s] = step(s, command({ type: 'command.transfer', deviceId: 'phone' }, T0));
  [s] = step(s, command({ type: 'command.play', contextUri: 'demo:album:night-drive' }, T0));
  const [created, effects] = step(s, command({ type: 'command.group.create', name: 'Downstairs', deviceIds: ['a', 'b', 'c'] }, T0));
  const result = replies(effects)[0];
  if (!result?.ok || !result.groupId) throw new Error(`group not created: ${JSON.stringify(result)}`);
  return { s: created, groupId: result.groupId };
}

/** Transfer to the group at T0 + 10 s; returns the snapshot and the transfer id. */
function preparingGroup(): { s: Snapshot; groupId: string; transferId: string; effects: Effect[] } {
  const { s, groupId } = playingOnPhoneWithGroup();
  const [next, effects] = step(s, command({ type: 'command.transfer', deviceId: groupId }, T0 + 10_000));
  const transferId = sent(effects, 'a', 'transfer.prepare')[0]?.transferId;
  if (!transferId) throw new Error('no transfer.prepare to a');
  return { s: next, groupId, transferId, effects };
}

const ready = (deviceId: string, transferId: string, now: number): MachineEvent => ({ type: 'transfer.ready', deviceId, transferId, now, leads: LEADS });
const started = (deviceId: string, transferId: string, now: number): MachineEvent => ({ type: 'transfer.started', deviceId, transferId, now });

describe('groups as entities of the session', () => {
  test('a group is created with its members, listed in the cluster, and its id answered', () => {
    const { s, groupId } = playingOnPhoneWithGroup();
    expect(s.context.groups[groupId]).toMatchObject({ name: 'Downstairs', memberIds: ['a', 'b', 'c'] });
    const [, effects] = step(s, command({ type: 'command.group.update', groupId, name: 'Ground floor' }, T0));
    const push = effects.find((e) => e.type === 'push');
    expect(push?.type === 'push' && push.message.cluster.groups).toEqual([{ id: groupId, name: 'Ground floor', deviceIds: ['a', 'b', 'c'], playingIds: [] }]);
  });

  test('a device that cannot play, an unknown device, or one already in a group is refused as a member', () => {
    const { s, groupId } = playingOnPhoneWithGroup();
    const codes = [
      command({ type: 'command.group.create', name: 'x', deviceIds: ['remote'] }, T0),
      command({ type: 'command.group.create', name: 'x', deviceIds: ['nobody'] }, T0),
      command({ type: 'command.group.create', name: 'x', deviceIds: ['phone', 'a'] }, T0),
      command({ type: 'command.group.update', groupId: 'no-such-group', name: 'x' }, T0),
    ].map((c) => replies(step(s, c)[1])[0]);
    expect(codes.map((r) => (r && !r.ok ? r.code : 'ok'))).toEqual(['RESTRICTED', 'DEVICE_NOT_FOUND', 'BAD_REQUEST', 'DEVICE_NOT_FOUND']);
    const [deleted] = step(s, command({ type: 'command.group.delete', groupId }, T0));
    expect(deleted.context.groups).toEqual({});
  });

  test('group volume scales the members relative to each other; a member keeps its own volume control', () => {
    const { s, groupId } = playingOnPhoneWithGroup();
    // Members at 20, 40, 60: the group's volume is their mean, 40. Doubling it doubles each.
    const [louder] = step(s, command({ type: 'command.volume', deviceId: groupId, volumePercent: 80 }, T0));
    expect(['a', 'b', 'c'].map((id) => louder.context.devices[id]!.volume)).toEqual([40, 80, 100]);
    const [one] = step(louder, command({ type: 'command.volume', deviceId: 'b', volumePercent: 10 }, T0));
    expect(['a', 'b', 'c'].map((id) => one.context.devices[id]!.volume)).toEqual([40, 10, 100]);
  });
});

describe('a transfer to a group', () => {
  test('every member is prepared; once all are ready, all start at one T at one position while the source stops at T', () => {
    const { s, groupId, transferId, effects } = preparingGroup();
    expect(['a', 'b', 'c'].map((id) => sent(effects, id, 'transfer.prepare').length)).toEqual([1, 1, 1]);
    let [x] = step(s, ready('a', transferId, T0 + 10_050));
    [x] = step(x, ready('b', transferId, T0 + 10_060));
    expect(stateName(x.value)).toBe('preparing');
    const [switching, fx] = step(x, ready('c', transferId, T0 + 10_070));
    expect(stateName(switching.value)).toBe('switching');
    const switches = ['a', 'b', 'c', 'phone'].map((id) => sent(fx, id, 'transfer.switch')[0]!);
    expect(new Set(switches.map((m) => m.atServerTime)).size).toBe(1);
    expect(new Set(switches.map((m) => m.positionMs)).size).toBe(1);
    expect(switches.map((m) => m.role)).toEqual(['start', 'start', 'start', 'stop']);
    // The largest lead of any member or the source.
    expect(switches[0]!.atServerTime).toBe(T0 + 10_070 + 300);
    let [y] = step(switching, started('a', transferId, T0 + 10_400));
    [y] = step(y, started('b', transferId, T0 + 10_400));
    expect(stateName(y.value)).toBe('switching');
    const [done, dfx] = step(y, started('c', transferId, T0 + 10_400));
    expect(stateName(done.value)).toBe('idle');
    expect(done.context.activeDeviceId).toBe(groupId);
    expect(done.context.groups[groupId]!.playingIds).toEqual(['a', 'b', 'c']);
    expect(replies(dfx)[0]).toMatchObject({ ok: true });
    expect(replies(dfx)[0]).not.toHaveProperty('leftOut');
  });

  test('a member not ready by the prepare deadline is left out and named in the outcome; the others play', () => {
    const { s, groupId, transferId } = preparingGroup();
    let [x] = step(s, ready('a', transferId, T0 + 10_050));
    [x] = step(x, ready('b', transferId, T0 + 10_060));
    const deadline = x.context.deadlines['prepare']!.at;
    const [switching, fx] = step(x, { type: 'timer.prepare', transferId, now: deadline });
    expect(stateName(switching.value)).toBe('switching');
    expect(sent(fx, 'c', 'transfer.switch')).toEqual([]);
    expect(sent(fx, 'c', 'transfer.abort')).toHaveLength(1);
    expect(sent(fx, 'a', 'transfer.switch')[0]!.atServerTime).toBe(sent(fx, 'phone', 'transfer.switch')[0]!.atServerTime);
    let [y] = step(switching, started('a', transferId, deadline + 400));
    const [done, dfx] = step(y, started('b', transferId, deadline + 400));
    [y] = [done];
    expect(y.context.groups[groupId]!.playingIds).toEqual(['a', 'b']);
    expect(replies(dfx)[0]).toMatchObject({ ok: true, leftOut: ['c'] });
  });

  test('a member that fails to prepare is left out; when no member is ready the transfer rolls back and the source never stopped', () => {
    const { s, transferId } = preparingGroup();
    let [x] = step(s, { type: 'transfer.failed', deviceId: 'a', transferId, reason: 'no codec', now: T0 + 10_050 });
    [x] = step(x, { type: 'transfer.failed', deviceId: 'b', transferId, reason: 'no codec', now: T0 + 10_060 });
    expect(stateName(x.value)).toBe('preparing');
    const [back, fx] = step(x, { type: 'timer.prepare', transferId, now: x.context.deadlines['prepare']!.at });
    expect(stateName(back.value)).toBe('idle');
    expect(back.context.activeDeviceId).toBe('phone');
    expect(sent(fx, 'phone', 'transfer.switch')).toEqual([]);
    expect(replies(fx)[0]).toMatchObject({ ok: false, code: 'TRANSFER_TIMEOUT' });
  });

  test('a member that disconnects while preparing is left out; the others switch without waiting for the deadline', () => {
    const { s, groupId, transferId } = preparingGroup();
    let [x] = step(s, ready('a', transferId, T0 + 10_050));
    [x] = step(x, ready('b', transferId, T0 + 10_060));
    const [switching, fx] = step(x, { type: 'device.leave', deviceId: 'c', connId: 'c-c', goodbye: false, now: T0 + 10_070 });
    expect(stateName(switching.value)).toBe('switching');
    expect(switching.context.devices['c']!.connId).toBeNull();
    expect(sent(fx, 'a', 'transfer.switch')).toHaveLength(1);
    let [y] = step(switching, started('a', transferId, T0 + 10_500));
    [y] = step(y, started('b', transferId, T0 + 10_500));
    expect(y.context.activeDeviceId).toBe(groupId);
    expect(y.context.groups[groupId]!.playingIds).toEqual(['a', 'b']);
  });

  test('from a playing group to a device, every playing member stops at the T the target starts', () => {
    const { s, transferId } = preparingGroup();
    let [x] = s ? step(s, ready('a', transferId, T0 + 10_050)) : [s];
    [x] = step(x, ready('b', transferId, T0 + 10_060));
    [x] = step(x, ready('c', transferId, T0 + 10_070));
    for (const id of ['a', 'b', 'c']) [x] = step(x, started(id, transferId, T0 + 10_500));
    const [toPhone, pfx] = step(x, command({ type: 'command.transfer', deviceId: 'phone' }, T0 + 20_000));
    const back = sent(pfx, 'phone', 'transfer.prepare')[0]!.transferId;
    const [switching, fx] = step(toPhone, ready('phone', back, T0 + 20_050));
    const at = sent(fx, 'phone', 'transfer.switch')[0]!;
    expect(at.role).toBe('start');
    expect(['a', 'b', 'c'].map((id) => sent(fx, id, 'transfer.switch')[0])).toEqual(['a', 'b', 'c'].map(() => ({ ...at, role: 'stop' })));
    const [done] = step(switching, started('phone', back, T0 + 20_500));
    expect(done.context.activeDeviceId).toBe('phone');
  });

  test('from a playing group to a device, a playing member that disconnects during the switch rolls it back with DEVICE_OFFLINE: its stop may never have reached it', () => {
    const { s, groupId, transferId } = preparingGroup();
    let x = s;
    for (const id of ['a', 'b', 'c']) [x] = step(x, ready(id, transferId, T0 + 10_050));
    for (const id of ['a', 'b', 'c']) [x] = step(x, started(id, transferId, T0 + 10_500));
    const [toPhone, pfx] = step(x, command({ type: 'command.transfer', deviceId: 'phone' }, T0 + 20_000));
    const back = sent(pfx, 'phone', 'transfer.prepare')[0]!.transferId;
    const [switching] = step(toPhone, ready('phone', back, T0 + 20_050));
    expect(stateName(switching.value)).toBe('switching');
    const [rolled, fx] = step(switching, { type: 'device.leave', deviceId: 'b', connId: 'c-b', goodbye: false, now: T0 + 20_100 });
    expect(stateName(rolled.value)).toBe('idle');
    expect(replies(fx)[0]).toMatchObject({ ok: false, code: 'DEVICE_OFFLINE' });
    expect(rolled.context.activeDeviceId).toBe(groupId);
    expect(sent(fx, 'phone', 'transfer.abort')).toHaveLength(1);
    // The members still connected were told to stop at T: they play on from the unchanged line.
    for (const id of ['a', 'c']) expect(sent(fx, id, 'transfer.abort')[0]?.resumeAt).toEqual(switching.context.position);
  });

  test('from a playing group to a device, a playing member that lost its connection while the target prepared keeps the target from starting', () => {
    const { s, groupId, transferId } = preparingGroup();
    let x = s;
    for (const id of ['a', 'b', 'c']) [x] = step(x, ready(id, transferId, T0 + 10_050));
    for (const id of ['a', 'b', 'c']) [x] = step(x, started(id, transferId, T0 + 10_500));
    const [toPhone, pfx] = step(x, command({ type: 'command.transfer', deviceId: 'phone' }, T0 + 20_000));
    const back = sent(pfx, 'phone', 'transfer.prepare')[0]!.transferId;
    const [gone] = step(toPhone, { type: 'device.leave', deviceId: 'c', connId: 'c-c', goodbye: false, now: T0 + 20_010 });
    const [rolled, fx] = step(gone, ready('phone', back, T0 + 20_050));
    expect(stateName(rolled.value)).toBe('idle');
    expect(sent(fx, 'phone', 'transfer.switch')).toEqual([]);
    expect(replies(fx)[0]).toMatchObject({ ok: false, code: 'DEVICE_OFFLINE' });
    expect(rolled.context.activeDeviceId).toBe(groupId);
  });

  test('a transfer to a member of the playing group leaves that member playing alone, at once', () => {
    const { s, transferId } = preparingGroup();
    let x = s;
    for (const id of ['a', 'b', 'c']) [x] = step(x, ready(id, transferId, T0 + 10_050));
    for (const id of ['a', 'b', 'c']) [x] = step(x, started(id, transferId, T0 + 10_500));
    const [alone, fx] = step(x, command({ type: 'command.transfer', deviceId: 'b' }, T0 + 20_000));
    expect(stateName(alone.value)).toBe('idle');
    expect(alone.context.activeDeviceId).toBe('b');
    expect(sent(fx, 'b', 'transfer.prepare')).toEqual([]);
    expect(alone.context.position).toEqual(x.context.position);
  });

  test("a member added while the group plays is prepared and starts at T' at p(T'); the others are sent nothing", () => {
    const { s, groupId } = playingOnPhoneWithGroup();
    // Shrink to a and b, play there, then add c back.
    let [x] = step(s, command({ type: 'command.group.update', groupId, deviceIds: ['a', 'b'] }, T0));
    const [prep, pfx] = step(x, command({ type: 'command.transfer', deviceId: groupId }, T0 + 10_000));
    const transferId = sent(pfx, 'a', 'transfer.prepare')[0]!.transferId;
    x = prep;
    for (const id of ['a', 'b']) [x] = step(x, ready(id, transferId, T0 + 10_050));
    for (const id of ['a', 'b']) [x] = step(x, started(id, transferId, T0 + 10_500));
    const line = x.context.position;

    const [joining, jfx] = step(x, command({ type: 'command.group.update', groupId, deviceIds: ['a', 'b', 'c'] }, T0 + 20_000));
    expect(replies(jfx)[0]).toMatchObject({ ok: true });
    expect(stateName(joining.value)).toBe('preparing');
    const join = sent(jfx, 'c', 'transfer.prepare')[0]!;
    expect(sent(jfx, 'a', 'transfer.prepare')).toEqual([]);
    const [switching, sfx] = step(joining, ready('c', join.transferId, T0 + 20_100));
    const at = sent(sfx, 'c', 'transfer.switch')[0]!;
    expect(at).toMatchObject({ role: 'start', positionMs: line.positionMs + (at.atServerTime - line.atServerTime) });
    expect(sfx.filter((e) => e.type === 'send' && e.deviceId !== 'c')).toEqual([]);
    const [done] = step(switching, started('c', join.transferId, at.atServerTime + 5));
    expect(done.context.groups[groupId]!.playingIds).toEqual(['a', 'b', 'c']);
    expect(done.context.activeDeviceId).toBe(groupId);
    // The same line, restated at T': the members already playing have nothing to correct.
    expect(done.context.position.positionMs - (done.context.position.atServerTime - line.atServerTime)).toBe(line.positionMs);
  });

  test('a transfer to the group the playing device is in keeps it playing untouched and joins the other members at T\'', () => {
    const { s, groupId } = playingOnPhoneWithGroup();
    // a plays alone first.
    let [x, fx] = step(s, command({ type: 'command.transfer', deviceId: 'a' }, T0 + 10_000));
    const toA = sent(fx, 'a', 'transfer.prepare')[0]!.transferId;
    [x] = step(x, ready('a', toA, T0 + 10_050));
    [x] = step(x, started('a', toA, T0 + 10_500));
    expect(x.context.activeDeviceId).toBe('a');
    const line = x.context.position;

    [x, fx] = step(x, command({ type: 'command.transfer', deviceId: groupId }, T0 + 20_000));
    expect(replies(fx)[0]).toMatchObject({ ok: true });
    expect(x.context.activeDeviceId).toBe(groupId);
    expect(x.context.groups[groupId]!.playingIds).toEqual(['a']);
    expect(x.context.position).toEqual(line);
    expect(sent(fx, 'a', 'transfer.prepare')).toEqual([]);
    const join = sent(fx, 'b', 'transfer.prepare')[0]!.transferId;
    expect(sent(fx, 'c', 'transfer.prepare')[0]!.transferId).toBe(join);
    for (const id of ['b', 'c']) [x, fx] = step(x, ready(id, join, T0 + 20_100));
    expect(sent(fx, 'a', 'transfer.switch')).toEqual([]);
    for (const id of ['b', 'c']) [x] = step(x, started(id, join, T0 + 20_500));
    expect(x.context.groups[groupId]!.playingIds).toEqual(['a', 'b', 'c']);
  });

  test('a group does not start next to a source that lost its connection: the transfer rolls back with DEVICE_OFFLINE', () => {
    const { s, transferId } = preparingGroup();
    let [x] = step(s, { type: 'device.leave', deviceId: 'phone', connId: 'c-phone', goodbye: false, now: T0 + 10_010 });
    for (const id of ['a', 'b']) [x] = step(x, ready(id, transferId, T0 + 10_050));
    const [back, fx] = step(x, ready('c', transferId, T0 + 10_060));
    expect(stateName(back.value)).toBe('idle');
    expect(sent(fx, 'a', 'transfer.switch')).toEqual([]);
    expect(replies(fx)[0]).toMatchObject({ ok: false, code: 'DEVICE_OFFLINE' });
  });

  test("a member's report past the drift threshold re-seeks that member alone at a scheduled T to p(T); one within it changes nothing", () => {
    const { s, groupId, transferId } = preparingGroup();
    let x = s;
    for (const id of ['a', 'b', 'c']) [x] = step(x, ready(id, transferId, T0 + 10_050));
    for (const id of ['a', 'b', 'c']) [x] = step(x, started(id, transferId, T0 + 10_500));
    expect(x.context.activeDeviceId).toBe(groupId);
    const line = x.context.position;
    const now = T0 + 30_000;
    const onLine = line.positionMs + (now - 10 - line.atServerTime);
    const report = (deviceId: string, offBy: number): MachineEvent => ({ type: 'playback.report', deviceId, positionMs: onLine + offBy, atServerTime: now - 10, now, leads: LEADS });
    const [, quiet] = step(x, report('b', 3));
    expect(quiet.filter((e) => e.type === 'send')).toEqual([]);
    const [after, fx] = step(x, report('b', 40));
    const sends = fx.filter((e) => e.type === 'send');
    expect(sends).toHaveLength(1);
    const resync = sent(fx, 'b', 'playback.resync')[0]!;
    expect(resync.atServerTime).toBe(now + LEADS.b);
    expect(resync.positionMs).toBe(line.positionMs + (resync.atServerTime - line.atServerTime));
    expect(after.context.position).toEqual(line);
    // Not a member playing in the active group: ignored.
    const [, phone] = step(x, report('phone', 40));
    expect(phone.filter((e) => e.type === 'send')).toEqual([]);
  });
});

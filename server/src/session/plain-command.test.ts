import type { Command } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { initialContext, type Effect } from './context.ts';
import type { MachineEvent } from './events.ts';
import { joinRunsPlain, plainJoin, plainStep, runsPlain } from './plain-command.ts';
import { createSessionMachine } from './session-machine.ts';
import { stateName } from './session-state.ts';
import { DEFAULT_SESSION_SETTINGS as settings } from './settings.ts';

/**
 * The plain path must be the chart's `apply` branch exactly: wherever `runsPlain` admits a
 * command, the chart (XState's pure `transition()`) gives the same state, context and effects as
 * the reducers alone.
 */
const machine = createSessionMachine(settings);
type Snapshot = SnapshotFrom<typeof machine>;
type CommandEvent = Extract<MachineEvent, { type: 'command' }>;
const T0 = 1_000_000;
const CAPS = { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track' as const], controllable: true };

function step(snapshot: Snapshot, event: MachineEvent): [Snapshot, Effect[]] {
  const [next, actions] = transition(machine, snapshot, event);
  return [next, effectsOf(actions)];
}

/** The effects a transition emitted, in order. */
function effectsOf(actions: Array<{ type: string; params?: unknown }>): Effect[] {
  return actions.flatMap((a) => (a.type === 'xstate.emit' ? (a.params as { event: { effects: Effect[] } }).event.effects : []));
}

let ids = 0;
const command = (c: Record<string, unknown> & { type: string }, now: number, commandId = `cmd-${++ids}`): CommandEvent => ({
  type: 'command',
  command: { ...c, commandId } as Command,
  replyTo: { kind: 'device', deviceId: 'phone' },
  origin: 'phone',
  now,
});

/** idle with three devices and nothing loaded; idle with the phone playing; a transfer preparing; one switching. */
function snapshots(): { empty: Snapshot; playing: Snapshot; preparing: Snapshot; switching: Snapshot } {
  let [s] = initialTransition(machine, initialContext('alice', 'n0'));
  for (const id of ['phone', 'speaker', 'tv']) {
    [s] = step(s, { type: 'device.join', device: { id, name: id, kind: 'speaker', capabilities: CAPS }, resume: undefined, connId: `c-${id}`, heartbeatMs: 5000, now: T0 });
  }
  const empty = s;
  [s] = step(s, command({ type: 'command.transfer', deviceId: 'phone' }, T0, 'first'));
  [s] = step(s, command({ type: 'command.play', contextUri: 'demo:album:night-drive' }, T0));
  const playing = s;
  const [preparing, effects] = step(s, command({ type: 'command.transfer', deviceId: 'speaker' }, T0 + 10_000));
  const prepare = effects.find((e) => e.type === 'send' && e.message.type === 'transfer.prepare');
  if (prepare?.type !== 'send' || prepare.message.type !== 'transfer.prepare') throw new Error('no transfer.prepare sent');
  const [switching] = step(preparing, { type: 'transfer.ready', deviceId: 'speaker', transferId: prepare.message.transferId, now: T0 + 10_100, leads: {} });
  return { empty, playing, preparing, switching };
}

const commands: Array<Record<string, unknown> & { type: string }> = [
  { type: 'command.volume', volumePercent: 30 },
  { type: 'command.volume', volumePercent: 70, deviceId: 'tv' },
  { type: 'command.volume', volumePercent: 70, deviceId: 'nobody' },
  { type: 'command.seek', positionMs: 12_000 },
  { type: 'command.pause' },
  { type: 'command.resume' },
  { type: 'command.next' },
  { type: 'command.previous' },
  { type: 'command.shuffle', state: true },
  { type: 'command.repeat', state: 'context' },
  { type: 'command.queue', uri: 'demo:track:night-drive-2' },
  { type: 'command.play', contextUri: 'demo:album:night-drive' },
  { type: 'command.play', deviceId: 'tv', contextUri: 'demo:album:night-drive' },
  { type: 'command.transfer', deviceId: 'tv' },
  { type: 'command.transfer', deviceId: 'phone' },
  { type: 'command.group.create', name: 'living room', deviceIds: ['speaker', 'tv'] },
];

describe('commands on the plain path', () => {
  test('wherever a command runs plain, the chart gives the same state, context and effects as the reducers alone', () => {
    let plain = 0;
    for (const [name, snapshot] of Object.entries(snapshots())) {
      for (const c of [...commands.map((c) => command(c, T0 + 11_000)), command({ type: 'command.pause' }, T0 + 11_000, 'first')]) {
        if (!runsPlain(stateName(snapshot.value), snapshot.context, c)) continue;
        plain++;
        const [next, effects] = step(snapshot, c);
        const alone = plainStep(snapshot.context, c);
        expect({ name, command: c.command.type, value: next.value }).toEqual({ name, command: c.command.type, value: snapshot.value });
        expect(alone.ctx).toEqual(next.context);
        expect(alone.effects).toEqual(effects);
      }
    }
    expect(plain).toBeGreaterThan(20);
  });

  test('transfers, retries, commands during a switch and commands that would supersede a prepared target take the chart', () => {
    const { empty, playing, preparing, switching } = snapshots();
    const at = (s: Snapshot, c: CommandEvent) => runsPlain(stateName(s.value), s.context, c);
    const volume = command({ type: 'command.volume', volumePercent: 10 }, T0 + 11_000);
    expect([empty, playing, preparing].map((s) => at(s, volume))).toEqual([true, true, true]);
    expect(at(switching, volume)).toBe(false);
    expect(at(playing, command({ type: 'command.transfer', deviceId: 'tv' }, T0))).toBe(false);
    expect(at(playing, command({ type: 'command.transfer', deviceId: 'phone' }, T0))).toBe(false);
    expect(at(playing, command({ type: 'command.play', deviceId: 'tv' }, T0))).toBe(false);
    // A retry in flight (the id of the transfer being prepared) joins its waiters; one already answered never gets here (result-memory.ts).
    const inFlight = preparing.context.transfer!.waiters[0]!.commandId;
    expect(at(preparing, command({ type: 'command.volume', volumePercent: 10 }, T0 + 11_000, inFlight))).toBe(false);
    expect(at(playing, command({ type: 'command.seek', positionMs: 5 }, T0))).toBe(true);
    expect(at(preparing, command({ type: 'command.seek', positionMs: 5 }, T0))).toBe(false);
    expect(at(preparing, command({ type: 'command.shuffle', state: true }, T0))).toBe(true);
  });
});

type JoinEvent = Extract<MachineEvent, { type: 'device.join' }>;
const joinOf = (id: string, now: number, extra: Partial<JoinEvent> = {}): JoinEvent => ({
  type: 'device.join',
  device: { id, name: id, kind: 'speaker', capabilities: CAPS },
  resume: undefined,
  connId: `c-${id}-2`,
  heartbeatMs: 5000,
  now,
  ...extra,
});

describe('joins on the plain path', () => {
  test('wherever a join runs plain, the chart gives the same state, context and effects as the join reducer alone', () => {
    let plain = 0;
    const joins = [
      joinOf('car', T0 + 11_000),
      joinOf('speaker', T0 + 11_000),
      joinOf('tv', T0 + 11_000, { device: { id: 'tv', name: 'kitchen tv', kind: 'tv', capabilities: CAPS } }),
      joinOf('car', T0 + 11_000, { resume: { revision: 500, playing: false, playback: { contextUri: null, track: null, position: { positionMs: 0, atServerTime: T0, rate: 0 }, shuffle: false, repeat: 'off', upNext: [] } } }),
    ];
    for (const [name, snapshot] of Object.entries(snapshots())) {
      for (const j of joins) {
        if (!joinRunsPlain(stateName(snapshot.value), snapshot.context, j)) continue;
        plain++;
        const [next, effects] = step(snapshot, j);
        const alone = plainJoin(snapshot.context, j, settings);
        expect({ name, device: j.device.id, value: next.value }).toEqual({ name, device: j.device.id, value: snapshot.value });
        expect(alone.ctx).toEqual(next.context);
        expect(alone.effects).toEqual(effects);
      }
    }
    expect(plain).toBe(16);
  });
});

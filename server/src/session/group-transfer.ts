import type { Command } from '@handoff/protocol';
import { isPlaying, setDeadline, toCluster, trace, type MemberState, type SessionContext, type Step, type Transfer } from './context.ts';
import type { MachineEvent } from './events.ts';
import { groupOf, membersRefusal } from './groups.ts';
import type { Join } from './presence.ts';
import type { SessionSettings } from './settings.ts';

/**
 * A transfer to a group runs the same two phases as one to a device, per member: every
 * connected member is prepared; once none is still preparing (or at the prepare deadline) the
 * ready ones all start at one server time T while the source stops at T; once none of those is
 * still to confirm (or at the switch deadline) it commits with the members that started. A
 * member that fails, leaves or is late is left out ('out') and named in the outcome; with no
 * member left the transfer rolls back as one to a device does.
 *
 * The machine asks `groupStep` what a member's event means (wait, switch, commit, rollback) and
 * records it with `recordMember`; everything else is the device transfer's code (transfer.ts),
 * which reads `startIds` and `stopIds` from here.
 */

export type GroupStep = 'wait' | 'switch' | 'commit' | 'rollback';

/** The devices that start at the switch: the ready members of a group, or the one target. */
export function startIds(t: Transfer): string[] {
  return t.members ? Object.keys(t.members).filter((id) => t.members![id] === 'ready' || t.members![id] === 'started') : [t.targetId];
}

/** The devices that stop at the switch: the source, or the playing members of a source group. */
export const stopIds = (t: Transfer): string[] => (t.sourceId ? [t.sourceId] : (t.stopIds ?? []));

/** Every device a transfer talks to. */
export const involvedIds = (t: Transfer): string[] => [...(t.members ? Object.keys(t.members) : [t.targetId]), ...stopIds(t)];

/** The members left out of a group transfer. */
export const leftOut = (t: Transfer): string[] => (t.members ? Object.keys(t.members).filter((id) => t.members![id] === 'out') : []);

/** Whether this event is about a member of the group transfer in progress. */
function memberEvent(ctx: SessionContext, event: MachineEvent): string | null {
  const t = ctx.transfer;
  if (!t?.members) return null;
  if (event.type === 'device.leave') {
    return event.deviceId in t.members && ctx.devices[event.deviceId]?.connId === event.connId ? event.deviceId : null;
  }
  if (event.type === 'transfer.ready' || event.type === 'transfer.started' || event.type === 'transfer.failed') {
    return event.transferId === t.id && event.deviceId in t.members ? event.deviceId : null;
  }
  return null;
}

/** The members as they stand once `event` is taken into account; null when it is not a group transfer's. */
function membersAfter(ctx: SessionContext, event: MachineEvent): Record<string, MemberState> | null {
  const t = ctx.transfer;
  if (!t?.members) return null;
  const switching = t.switchAt !== undefined;
  if (event.type === 'timer.prepare' || event.type === 'timer.switch') {
    if (event.transferId !== t.id) return null;
    if ((event.type === 'timer.prepare') === switching) return null;
    // Late: whoever has not answered for this phase is left out.
    const late: MemberState = switching ? 'ready' : 'preparing';
    return Object.fromEntries(Object.entries(t.members).map(([id, s]) => [id, s === late ? 'out' : s]));
  }
  const id = memberEvent(ctx, event);
  if (!id) return null;
  const now = t.members[id]!;
  let next: MemberState = now;
  if (event.type === 'transfer.ready' && now === 'preparing' && !switching) next = 'ready';
  if (event.type === 'transfer.started' && now === 'ready' && switching) next = 'started';
  if (event.type === 'transfer.failed') next = 'out';
  // A member gone before the switch is left out; after it, its start is scheduled on its own
  // clock and fires without a connection: it counts as started (it rejoins on return).
  if (event.type === 'device.leave') next = switching && now === 'ready' ? 'started' : now === 'started' ? 'started' : 'out';
  return { ...t.members, [id]: next };
}

/** What a group transfer does on this event: null when the event is not one of its members' (or deadlines). */
export function groupStep(ctx: SessionContext, event: MachineEvent): GroupStep | null {
  const members = membersAfter(ctx, event);
  if (!members) return null;
  const t = ctx.transfer!;
  const states = Object.values(members);
  if (t.switchAt === undefined) {
    if (states.includes('preparing')) return 'wait';
    if (!states.includes('ready')) return 'rollback';
    // A source that cannot be told to stop must not be joined by a group playing next to it.
    if (t.play && sourceUnreachable(ctx)) return 'rollback';
    return t.play ? 'switch' : 'commit';
  }
  if (states.includes('ready')) return 'wait';
  return states.includes('started') ? 'commit' : 'rollback';
}

/** Whether the transfer's source device (or a playing member of a source group) has lost its connection. */
export function sourceUnreachable(ctx: SessionContext): boolean {
  const t = ctx.transfer;
  return Boolean(t && stopIds(t).some((id) => !ctx.devices[id]?.connId));
}

/** Record the member's event (or a deadline) in the transfer. */
export function recordMember(ctx: SessionContext, event: MachineEvent): SessionContext {
  const members = membersAfter(ctx, event);
  if (!members) return ctx;
  const t = ctx.transfer!;
  const leads = event.type === 'transfer.ready' ? { ...t.leads, ...event.leads } : t.leads;
  return { ...ctx, transfer: { ...t, members, ...(leads ? { leads } : {}) } };
}

/**
 * The devices a `command.group.update` adds to the group while it plays: connected, so they can
 * be prepared and join at a scheduled time. Empty when the group is not the one playing.
 */
export function joiners(ctx: SessionContext, command: Command): string[] {
  if (command.type !== 'command.group.update' || !command.deviceIds || ctx.transfer) return [];
  const group = ctx.groups[command.groupId];
  if (!group || ctx.activeDeviceId !== group.id || !isPlaying(ctx) || membersRefusal(ctx, command.deviceIds, group.id)) return [];
  return command.deviceIds.filter((id) => !group.memberIds.includes(id) && ctx.devices[id]?.connId);
}

/**
 * Members join the playing group: each is prepared at the group's line, then starts at a future
 * T' at p(T'), as a transfer's target does; the members already playing are sent nothing (the
 * line does not change, so the commit's push leaves them as they are). Its own transfer, with
 * no waiters: the membership change was answered when it committed.
 */
export function beginJoin(step: Step, ids: string[], groupId: string, now: number, settings: SessionSettings): Step {
  const ctx = step.ctx;
  const transfer: Transfer = {
    id: `tr-${ctx.nonce}-${ctx.transferCount + 1}`,
    targetId: groupId,
    sourceId: null,
    play: true,
    waiters: [],
    startedAt: now,
    join: true,
    members: Object.fromEntries(ids.map((id) => [id, 'preparing' as const])),
  };
  const deadline = now + settings.prepareTimeoutMs;
  let next: Step = { ctx: { ...ctx, transfer, transferCount: ctx.transferCount + 1 }, effects: step.effects };
  next = setDeadline(next, 'prepare', deadline, { type: 'timer.prepare', transferId: transfer.id });
  next = trace(next, { kind: 'transfer.phase', name: 'prepare', deviceId: groupId, correlationId: transfer.id, payload: { join: ids, targetId: groupId, play: true } });
  const playback = toCluster(next.ctx).playback;
  for (const id of ids) {
    const volume = ctx.devices[id]?.volume ?? 50;
    next.effects.push({ type: 'send', deviceId: id, message: { type: 'transfer.prepare', transferId: transfer.id, playback, volume, deadline } });
  }
  return next;
}

/**
 * A member of the playing group connects again silent (restarted, or its sound lost) while the
 * group plays and no transfer is in flight: the group it returns to should not make it start on
 * whatever its first clock estimate says, so it leaves `playingIds` for the welcome and joins
 * again as an added member does, at a scheduled T' at p(T'). Returns the group's id, or null.
 */
export function silentRejoin(ctx: SessionContext, j: Join): string | null {
  const group = groupOf(ctx, j.device.id);
  if (!group || ctx.activeDeviceId !== group.id || ctx.transfer || !isPlaying(ctx)) return null;
  if (!group.playingIds.includes(j.device.id) || j.resume?.playing) return null;
  return group.id;
}

/** The context with `deviceId` no longer counted as playing in its group. */
export function dropPlaying(ctx: SessionContext, groupId: string, deviceId: string): SessionContext {
  const group = ctx.groups[groupId]!;
  return { ...ctx, groups: { ...ctx.groups, [groupId]: { ...group, playingIds: group.playingIds.filter((id) => id !== deviceId) } } };
}

import type { Capabilities, Command } from '@handoff/protocol';
import {
  answer,
  commit,
  currentPositionMs,
  fail,
  isPlaying,
  ok,
  type DeviceRecord,
  type GroupRecord,
  type SessionContext,
  type Step,
  type Waiter,
} from './context.ts';

/**
 * Groups: several devices that play as one. A group is a target like a device (its id goes
 * where a device id goes: transfer, play, volume), listed beside the devices. While a group is
 * the active device, its `playingIds` are the members producing sound; each follows the
 * session's position line as the active device does.
 */

export type GroupCommand = Extract<Command, { type: 'command.group.create' | 'command.group.update' | 'command.group.delete' }>;

export const isGroupCommand = (command: Command): command is GroupCommand => command.type.startsWith('command.group.');

/** The group `deviceId` is a member of, if any. */
export function groupOf(ctx: SessionContext, deviceId: string): GroupRecord | undefined {
  for (const g of Object.values(ctx.groups)) if (g.memberIds.includes(deviceId)) return g;
  return undefined;
}

/** The active group, when a group is the active device. */
export const activeGroup = (ctx: SessionContext): GroupRecord | undefined =>
  ctx.activeDeviceId ? ctx.groups[ctx.activeDeviceId] : undefined;

/** Whether `deviceId` plays in the active group now. */
export const playsInActiveGroup = (ctx: SessionContext, deviceId: string): boolean =>
  Boolean(activeGroup(ctx)?.playingIds.includes(deviceId));

/** A group's volume: the mean of its members' volumes (as a Sonos group's is). */
export function groupVolume(ctx: SessionContext, g: GroupRecord): number {
  const members = g.memberIds.map((id) => ctx.devices[id]).filter((d): d is DeviceRecord => Boolean(d));
  if (members.length === 0) return 0;
  return Math.round(members.reduce((sum, d) => sum + d.volume, 0) / members.length);
}

/**
 * The group seen as one device, so the checks made of a target (online, reachable, can play what
 * is loaded, controllable, has volume) read the same for both: online and connected while any
 * member is, the media types every member plays, controllable if every member is.
 */
export function groupAsDevice(ctx: SessionContext, g: GroupRecord): DeviceRecord {
  const members = g.memberIds.map((id) => ctx.devices[id]).filter((d): d is DeviceRecord => Boolean(d));
  const mediaTypes = members.reduce<Capabilities['mediaTypes'] | null>(
    (acc, d) => (acc === null ? [...d.capabilities.mediaTypes] : acc.filter((t) => d.capabilities.mediaTypes.includes(t))),
    null,
  );
  const capabilities: Capabilities = {
    canPlay: members.length > 0,
    volumeSteps: Math.max(0, ...members.map((d) => d.capabilities.volumeSteps)),
    mediaTypes: mediaTypes ?? [],
    controllable: members.every((d) => d.capabilities.controllable),
  };
  const connected = members.find((d) => d.connId !== null);
  return {
    id: g.id,
    name: g.name,
    kind: 'speaker',
    capabilities,
    volume: groupVolume(ctx, g),
    online: members.some((d) => d.online),
    connId: connected ? connected.connId : null,
    lastSeenAt: Math.max(0, ...members.map((d) => d.lastSeenAt)),
  };
}

/** A device, or a group seen as one. */
export function targetOf(ctx: SessionContext, id: string): DeviceRecord | undefined {
  const device = ctx.devices[id];
  if (device) return device;
  const group = ctx.groups[id];
  return group ? groupAsDevice(ctx, group) : undefined;
}

/** Set a group's volume by scaling each member relative to the others; a silent group sets all alike. */
export function setGroupVolume(ctx: SessionContext, g: GroupRecord, volumePercent: number): SessionContext | null {
  const before = groupVolume(ctx, g);
  if (before === volumePercent) return null;
  const devices = { ...ctx.devices };
  for (const id of g.memberIds) {
    const d = devices[id];
    if (!d || d.capabilities.volumeSteps === 0) continue;
    const scaled = before === 0 ? volumePercent : Math.round((d.volume * volumePercent) / before);
    devices[id] = { ...d, volume: Math.max(0, Math.min(100, scaled)) };
  }
  return { ...ctx, devices };
}

type Refusal = { code: 'DEVICE_NOT_FOUND' | 'RESTRICTED' | 'BAD_REQUEST'; message: string };

/** Why these devices cannot be the members of group `groupId` (null for a new group), or null. */
export function membersRefusal(ctx: SessionContext, deviceIds: readonly string[], groupId: string | null): Refusal | null {
  for (const id of deviceIds) {
    const device = ctx.devices[id];
    if (!device) return { code: 'DEVICE_NOT_FOUND', message: `no device ${id}` };
    if (!device.capabilities.canPlay) return { code: 'RESTRICTED', message: `device ${id} cannot play, so it cannot be in a group` };
    const other = groupOf(ctx, id);
    if (other && other.id !== groupId) return { code: 'BAD_REQUEST', message: `device ${id} is already in group ${other.id}` };
  }
  return null;
}

/** Create, rename, re-member or delete a group, and answer. */
export function applyGroupCommand(ctx: SessionContext, command: GroupCommand, waiter: Waiter, now: number): Step {
  const step: Step = { ctx, effects: [] };
  const refuse = (no: { code: Refusal['code']; message: string }) => answer(step, waiter, fail(command.commandId, no.code, no.message));
  if (command.type === 'command.group.create') {
    const no = membersRefusal(ctx, command.deviceIds, null);
    if (no) return refuse(no);
    const id = `group-${ctx.nonce}-${ctx.groupCount + 1}`;
    const group: GroupRecord = { id, name: command.name, memberIds: [...command.deviceIds], playingIds: [] };
    const committed = commit({ ctx: { ...ctx, groupCount: ctx.groupCount + 1, groups: { ...ctx.groups, [id]: group } }, effects: [] }, 'group.created');
    return answer(committed, waiter, ok(command.commandId, committed.ctx.revision, { groupId: id }));
  }
  const group = ctx.groups[command.groupId];
  if (!group) return refuse({ code: 'DEVICE_NOT_FOUND', message: `no group ${command.groupId}` });
  if (ctx.transfer?.targetId === group.id) {
    return refuse({ code: 'BAD_REQUEST', message: `group ${group.id} is being transferred to: retry once the transfer is done` });
  }
  if (command.type === 'command.group.delete') {
    const committed = commit({ ctx: deleteGroup(ctx, group, now), effects: [] }, 'group.deleted');
    return answer(committed, waiter, ok(command.commandId, committed.ctx.revision));
  }
  if (command.deviceIds) {
    const no = membersRefusal(ctx, command.deviceIds, group.id);
    if (no) return refuse(no);
  }
  const memberIds = command.deviceIds ? [...command.deviceIds] : group.memberIds;
  const name = command.name ?? group.name;
  if (name === group.name && sameMembers(memberIds, group.memberIds)) return answer(step, waiter, ok(command.commandId, ctx.revision));
  // A removed member goes silent (it no longer plays with the group); the others are untouched.
  const updated: GroupRecord = { ...group, name, memberIds, playingIds: group.playingIds.filter((id) => memberIds.includes(id)) };
  let next: SessionContext = { ...ctx, groups: { ...ctx.groups, [group.id]: updated } };
  if (ctx.activeDeviceId === group.id && updated.playingIds.length === 0) next = nothingPlays(next, now);
  const committed = commit({ ctx: next, effects: [] }, 'group.updated');
  return answer(committed, waiter, ok(command.commandId, committed.ctx.revision));
}

const sameMembers = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((id, i) => b[i] === id);

/**
 * The group goes. If it was playing, its first connected playing member keeps playing as the
 * active device and the others go silent; with no such member, playback pauses with no device.
 */
function deleteGroup(ctx: SessionContext, group: GroupRecord, now: number): SessionContext {
  const { [group.id]: _gone, ...groups } = ctx.groups;
  const next: SessionContext = { ...ctx, groups };
  if (ctx.activeDeviceId !== group.id) return next;
  const heir = group.playingIds.find((id) => ctx.devices[id]?.connId);
  return heir ? { ...next, activeDeviceId: heir } : nothingPlays(next, now);
}

/** No device plays any more: no active device, paused where it was. */
function nothingPlays(ctx: SessionContext, now: number): SessionContext {
  return { ...ctx, activeDeviceId: null, position: { positionMs: currentPositionMs(ctx, now), atServerTime: now, rate: 0 } };
}

/**
 * A member went offline (its grace period ran out): it no longer plays with its group. When it
 * was the last playing member of the active group, the group stops as an offline device does.
 */
export function memberOffline(ctx: SessionContext, deviceId: string, now: number): SessionContext {
  const group = groupOf(ctx, deviceId);
  if (!group?.playingIds.includes(deviceId)) return ctx;
  const updated = { ...group, playingIds: group.playingIds.filter((id) => id !== deviceId) };
  const next = { ...ctx, groups: { ...ctx.groups, [group.id]: updated } };
  return ctx.activeDeviceId === group.id && updated.playingIds.length === 0 && isPlaying(ctx) ? nothingPlays(next, now) : next;
}

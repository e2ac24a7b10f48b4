import {
  positionAt,
  type Capabilities,
  type Cluster,
  type ClusterUpdate,
  type Command,
  type CommandResult,
  type DeviceInfo,
  type DeviceKind,
  type ErrorCode,
  type HubMessage,
  type Position,
  type TraceEffectBody,
} from '@handoff/protocol';
import { emptyQueue, upNext, type PlayQueue } from './play-queue.ts';

/** Where the result of a command goes: a device socket, or a waiting HTTP request. */
export type ReplyTo = { kind: 'device'; deviceId: string } | { kind: 'http'; ticket: string } | { kind: 'none' };

export interface DeviceRecord {
  id: string;
  name: string;
  kind: DeviceKind;
  capabilities: Capabilities;
  volume: number;
  /** Online: connected, or disconnected less than the grace period ago. */
  online: boolean;
  /** The connection the device is on now; null while disconnected (in grace or offline). */
  connId: string | null;
  lastSeenAt: number;
}

/** Several devices that play as one; a target like a device (see groups.ts). */
export interface GroupRecord {
  id: string;
  name: string;
  memberIds: string[];
  /** The members taking part in the group's playback now; meaningful while the group is active. */
  playingIds: string[];
}

/** A group member's part in a transfer to its group (see group-transfer.ts). */
export type MemberState = 'preparing' | 'ready' | 'started' | 'out';

export interface Waiter {
  commandId: string;
  replyTo: ReplyTo;
}

export interface Transfer {
  id: string;
  targetId: string;
  /** The device producing sound when the transfer started, if any. */
  sourceId: string | null;
  /** Whether the target plays once switched. */
  play: boolean;
  waiters: Waiter[];
  startedAt: number;
  /** Set when the switch is scheduled. */
  switchAt?: number;
  positionAtSwitch?: number;
  /** A transfer to a group: where each member stands. */
  members?: Record<string, MemberState>;
  /** A group transfer: the switch leads measured when members answered ready, for a switch a deadline schedules. */
  leads?: Record<string, number>;
  /** A member joining its playing group: only the joiners are prepared and started; the others play on. */
  join?: boolean;
  /** A transfer from a playing group: its members, which all stop at the switch (`sourceId` is then null). */
  stopIds?: string[];
  /** New content a `play` on another device brings; it replaces the queue only on commit. */
  content?: { queue: PlayQueue; position: Position };
  /** A cluster change was committed during the switch and kept from source and target (see `commit`). */
  heldFromSwitch?: boolean;
}

/** A deadline kept as data, so it survives persistence; the host arms a real timer for it. */
export interface Deadline {
  at: number;
  event: TimerEvent;
}

export type TimerEvent =
  | { type: 'timer.grace'; deviceId: string }
  | { type: 'timer.prepare'; transferId: string }
  | { type: 'timer.switch'; transferId: string }
  | { type: 'timer.track-end'; trackUri: string }
  | { type: 'timer.idle' };

export interface SessionContext {
  userId: string;
  revision: number;
  activeDeviceId: string | null;
  devices: Record<string, DeviceRecord>;
  queue: PlayQueue;
  position: Position;
  transfer: Transfer | null;
  /** Commands that arrived while a switch was in progress, applied right after it. */
  deferred: Array<{ command: Command; replyTo: ReplyTo; origin: string }>;
  deadlines: Record<string, Deadline>;
  /** The user's groups by id. */
  groups: Record<string, GroupRecord>;
  /** Increasing counter for group ids (with the per-session nonce). */
  groupCount: number;
  /** Increasing counter for transfer ids (with the user id and a per-session nonce). */
  transferCount: number;
  nonce: string;
}

export function initialContext(userId: string, nonce: string): SessionContext {
  return {
    userId,
    revision: 0,
    activeDeviceId: null,
    devices: {},
    queue: emptyQueue(),
    position: { positionMs: 0, atServerTime: 0, rate: 0 },
    transfer: null,
    deferred: [],
    deadlines: {},
    groups: {},
    groupCount: 0,
    transferCount: 0,
    nonce,
  };
}

/** A side effect the host carries out after a transition. Plain data, so transitions stay pure. */
export type Effect =
  | { type: 'send'; deviceId: string; message: HubMessage }
  | { type: 'push'; message: ClusterUpdate; exclude?: string[] }
  | { type: 'reply'; to: ReplyTo; result: CommandResult }
  /** Answer `to` with the result remembered for `commandId` (a retry of a command answered in the same step; the host holds the results). */
  | { type: 'replay'; to: ReplyTo; commandId: string }
  | ({ type: 'trace'; deviceId?: string; correlationId?: string } & TraceEffectBody)
  | { type: 'idle' };

export interface Step {
  ctx: SessionContext;
  effects: Effect[];
}

export const isPlaying = (ctx: SessionContext) => ctx.position.rate > 0 && ctx.queue.current !== null;

export function currentPositionMs(ctx: SessionContext, now: number): number {
  return positionAt(ctx.position, now, ctx.queue.current?.durationMs);
}

export function toDeviceInfo(d: DeviceRecord): DeviceInfo {
  return {
    id: d.id,
    name: d.name,
    kind: d.kind,
    capabilities: d.capabilities,
    online: d.online,
    volume: d.volume,
    lastSeenAt: d.lastSeenAt,
  };
}

export function toCluster(ctx: SessionContext): Cluster {
  return {
    userId: ctx.userId,
    revision: ctx.revision,
    activeDeviceId: ctx.activeDeviceId,
    devices: Object.values(ctx.devices).map(toDeviceInfo),
    playback: {
      contextUri: ctx.queue.contextUri,
      track: ctx.queue.current,
      position: ctx.position,
      shuffle: ctx.queue.shuffle,
      repeat: ctx.queue.repeat,
      upNext: upNext(ctx.queue),
    },
    groups: Object.values(ctx.groups).map((g) => ({ id: g.id, name: g.name, deviceIds: g.memberIds, playingIds: g.playingIds })),
  };
}

/**
 * Commit: bump the revision, re-arm the track-end deadline for the new position line and push
 * the whole cluster to every device (except `exclude`, which is told in another way).
 *
 * While a switch is scheduled (between `transfer.switch` and its outcome) the cluster still names
 * the source as active; by the rule "follow the cluster" the source would start again and the
 * target stop. So such a push skips both: they get the outcome's cluster instead (the commit's
 * push, or after a rollback the current cluster, see `releaseHeld`).
 */
export function commit(step: Step, reason: string, exclude?: string): Step {
  const bumped = syncTrackEnd({ ...step, ctx: { ...step.ctx, revision: step.ctx.revision + 1 } });
  const message: ClusterUpdate = { type: 'cluster.update', reason, cluster: toCluster(bumped.ctx) };
  const held = switchParties(bumped.ctx);
  const skip = [...(exclude ? [exclude] : []), ...held];
  const push: Effect = skip.length ? { type: 'push', message, exclude: skip } : { type: 'push', message };
  const transfer = bumped.ctx.transfer;
  const ctx = held.length && transfer ? { ...bumped.ctx, transfer: { ...transfer, heldFromSwitch: true } } : bumped.ctx;
  return { ctx, effects: [...bumped.effects, push] };
}

/** The devices of a scheduled switch, which must not hear a cluster that contradicts it. */
function switchParties(ctx: SessionContext): string[] {
  const t = ctx.transfer;
  if (!t || t.switchAt === undefined) return [];
  return partiesOf(t);
}

/** Every device a transfer's switch names: the target (or each member of a target group) and the source (or each playing member of a source group). */
function partiesOf(t: Transfer): string[] {
  const targets = t.members ? Object.keys(t.members) : [t.targetId];
  return [...targets, ...(t.sourceId ? [t.sourceId] : (t.stopIds ?? []))];
}

/**
 * A switch that was rolled back: the source and target get the cluster they were kept from during
 * it (same revision, so it is applied), if a change was committed meanwhile.
 */
export function releaseHeld(step: Step, transfer: Transfer): Step {
  if (!transfer.heldFromSwitch) return step;
  const message: ClusterUpdate = { type: 'cluster.update', reason: 'switch.rolled-back', cluster: toCluster(step.ctx) };
  const parties = partiesOf(transfer);
  return { ...step, effects: [...step.effects, ...parties.map((deviceId): Effect => ({ type: 'send', deviceId, message }))] };
}

/** Keep the track-end deadline in line with the position: armed while playing, cleared otherwise. */
export function syncTrackEnd(step: Step): Step {
  const { position, queue } = step.ctx;
  if (!isPlaying(step.ctx) || !queue.current) return clearDeadline(step, 'track-end');
  const at = position.atServerTime + Math.max(0, queue.current.durationMs - position.positionMs);
  return setDeadline(step, 'track-end', at, { type: 'timer.track-end', trackUri: queue.current.uri });
}

export function ok(commandId: string, revision: number, extra: { groupId?: string; leftOut?: string[] } = {}): CommandResult {
  return { type: 'command.result', commandId, ok: true, revision, ...extra };
}

export function fail(commandId: string, code: ErrorCode, message: string): CommandResult {
  return { type: 'command.result', commandId, ok: false, code, message };
}

/** Answer a command (the host remembers the answer for retries: result-memory.ts). */
export function answer(step: Step, waiter: Waiter, result: CommandResult): Step {
  return { ctx: step.ctx, effects: [...step.effects, { type: 'reply', to: waiter.replyTo, result }] };
}

export function setDeadline(step: Step, id: string, at: number, event: TimerEvent): Step {
  return { ...step, ctx: { ...step.ctx, deadlines: { ...step.ctx.deadlines, [id]: { at, event } } } };
}

export function clearDeadline(step: Step, id: string): Step {
  if (!(id in step.ctx.deadlines)) return step;
  const { [id]: _gone, ...deadlines } = step.ctx.deadlines;
  return { ...step, ctx: { ...step.ctx, deadlines } };
}

/** A trace effect without its `type` (a union member by member, so each body keeps its payload). */
export type TraceEffect = { deviceId?: string; correlationId?: string } & TraceEffectBody;

export const trace = (step: Step, effect: TraceEffect): Step => ({
  ...step,
  effects: [...step.effects, { type: 'trace', ...effect }],
});

import type { Command, ErrorCode, PlayCommand, TransferCommand } from '@handoff/protocol';
import {
  answer,
  clearDeadline,
  commit,
  currentPositionMs,
  fail,
  isPlaying,
  ok,
  releaseHeld,
  setDeadline,
  syncTrackEnd,
  toCluster,
  trace,
  type SessionContext,
  type Step,
  type Transfer,
  type Waiter,
} from './context.ts';
import { beginJoin, leftOut, startIds, stopIds } from './group-transfer.ts';
import { activeGroup, playsInActiveGroup, targetOf } from './groups.ts';
import { startContent } from './play-queue.ts';
import type { SessionSettings } from './settings.ts';

/** What a transfer-like command asks for: a target, and whether it should play there. */
export interface TransferIntent {
  targetId: string;
  play: boolean | undefined;
}

/** The transfer a command asks for, if any: `command.transfer`, or `command.play` naming another device. */
export function transferIntent(ctx: SessionContext, command: Command): TransferIntent | null {
  if (command.type === 'command.transfer') return { targetId: command.deviceId, play: command.play };
  if (command.type === 'command.play' && command.deviceId && command.deviceId !== ctx.activeDeviceId) {
    return { targetId: command.deviceId, play: true };
  }
  return null;
}

/** Why the target cannot take playback, or null. */
export function transferRefusal(ctx: SessionContext, targetId: string): { code: ErrorCode; message: string } | null {
  const target = targetOf(ctx, targetId);
  if (!target) return { code: 'DEVICE_NOT_FOUND', message: `no device ${targetId}` };
  if (!target.online) return { code: 'DEVICE_OFFLINE', message: `device ${targetId} is offline` };
  if (!target.connId) return { code: 'DEVICE_OFFLINE', message: `device ${targetId} is reconnecting` };
  if (!target.capabilities.canPlay) return { code: 'RESTRICTED', message: `device ${targetId} cannot play` };
  const active = ctx.activeDeviceId ? targetOf(ctx, ctx.activeDeviceId) : undefined;
  if (active && active.id !== targetId && !active.connId && isPlaying(ctx)) {
    // It may still be playing and cannot be told to stop: moving now would play on two devices.
    return { code: 'DEVICE_OFFLINE', message: `the playing device ${active.id} is reconnecting and cannot be silenced; retry once it is back or offline` };
  }
  const track = ctx.queue.current;
  if (track && !target.capabilities.mediaTypes.includes(track.mediaType)) {
    return { code: 'RESTRICTED', message: `device ${targetId} cannot play ${track.mediaType}` };
  }
  return null;
}

/**
 * Whether handling this command means preparing a device: a valid transfer to another device
 * with something loaded. Everything else (refusals, no-ops, nothing loaded) is answered at once.
 */
export function needsPrepare(ctx: SessionContext, command: Command): boolean {
  const intent = transferIntent(ctx, command);
  if (!intent || transferRefusal(ctx, intent.targetId)) return false;
  if (intent.targetId === ctx.activeDeviceId) return false;
  // A member of the playing group already plays: it keeps playing alone, the others stop (at once).
  if (playsInActiveGroup(ctx, intent.targetId)) return false;
  const content = command.type === 'command.play' && (command.uris || command.contextUri);
  return Boolean(ctx.queue.current || content);
}

/** A transfer answered at once: refused, to the active device, or with nothing loaded. */
export function transferAtOnce(ctx: SessionContext, command: TransferCommand | PlayCommand, waiter: Waiter, now: number): Step {
  const step: Step = { ctx, effects: [] };
  const intent = transferIntent(ctx, command)!;
  const no = transferRefusal(ctx, intent.targetId);
  if (no) return answer(step, waiter, fail(command.commandId, no.code, no.message));
  let next = ctx;
  const here = currentPositionMs(ctx, now);
  if (intent.play === true && !isPlaying(ctx) && ctx.queue.current) next = { ...next, position: { positionMs: here, atServerTime: now, rate: 1 } };
  if (intent.play === false && isPlaying(ctx)) next = { ...next, position: { positionMs: here, atServerTime: now, rate: 0 } };
  if (intent.targetId !== ctx.activeDeviceId) next = { ...next, activeDeviceId: intent.targetId };
  const group = ctx.groups[intent.targetId];
  if (group && intent.targetId !== ctx.activeDeviceId) {
    // Nothing to prepare (nothing loaded): every connected member takes part from now.
    const playingIds = group.memberIds.filter((id) => ctx.devices[id]?.connId);
    next = { ...next, groups: { ...next.groups, [group.id]: { ...group, playingIds } } };
  }
  if (next === ctx) return answer(step, waiter, ok(command.commandId, ctx.revision));
  const committed = commit({ ctx: next, effects: [] }, 'transfer');
  return answer(committed, waiter, ok(command.commandId, committed.ctx.revision));
}

/**
 * A transfer to the group the playing device is in ("play here and in the kitchen too"): the
 * other connected members it would join. Null when it is not that case (new content, arriving
 * paused, a refusal, or no other member to join).
 */
export function growthFromMember(ctx: SessionContext, command: Command): { groupId: string; joiners: string[] } | null {
  const intent = transferIntent(ctx, command);
  const group = intent ? ctx.groups[intent.targetId] : undefined;
  const active = ctx.activeDeviceId;
  if (!intent || !group || !active || !group.memberIds.includes(active) || !isPlaying(ctx) || intent.play === false) return null;
  if (command.type === 'command.play' && (command.uris || command.contextUri)) return null;
  if (transferRefusal(ctx, group.id)) return null;
  const joiners = group.memberIds.filter((id) => id !== active && ctx.devices[id]?.connId);
  return joiners.length ? { groupId: group.id, joiners } : null;
}

/**
 * The playing member becomes its group, playing on untouched (no prepare, no switch: it already
 * plays the line); the transfer is answered once that commits, and the other members join at a
 * scheduled T' as added members do.
 */
export function growFromMember(ctx: SessionContext, command: TransferCommand | PlayCommand, waiter: Waiter, now: number, settings: SessionSettings): Step {
  const { groupId, joiners } = growthFromMember(ctx, command)!;
  const group = ctx.groups[groupId]!;
  const next: SessionContext = { ...ctx, activeDeviceId: groupId, groups: { ...ctx.groups, [groupId]: { ...group, playingIds: [ctx.activeDeviceId!] } } };
  const committed = commit({ ctx: next, effects: [] }, 'transfer');
  return beginJoin(answer(committed, waiter, ok(command.commandId, committed.ctx.revision)), joiners, groupId, now, settings);
}

/** Phase 1: ask the target to load and buffer at the derived position, with a deadline. */
export function beginTransfer(
  ctx: SessionContext,
  command: TransferCommand | PlayCommand,
  waiter: Waiter,
  now: number,
  settings: SessionSettings,
): Step {
  const intent = transferIntent(ctx, command)!;
  const source = ctx.activeDeviceId ? ctx.devices[ctx.activeDeviceId] : undefined;
  const sourceId = source?.connId && isPlaying(ctx) ? source.id : null;
  const transfer: Transfer = {
    id: `tr-${ctx.nonce}-${ctx.transferCount + 1}`,
    targetId: intent.targetId,
    sourceId,
    play: intent.play ?? isPlaying(ctx),
    waiters: [waiter],
    startedAt: now,
  };
  const fromGroup = activeGroup(ctx);
  if (fromGroup && isPlaying(ctx)) transfer.stopIds = fromGroup.playingIds.filter((id) => ctx.devices[id]?.connId);
  const toGroup = ctx.groups[intent.targetId];
  if (toGroup) {
    // Members that cannot be reached now are left out from the start.
    transfer.members = Object.fromEntries(toGroup.memberIds.map((id) => [id, ctx.devices[id]?.connId ? 'preparing' : 'out']));
  }
  if (command.type === 'command.play' && (command.uris || command.contextUri)) {
    // New content goes to the target only; the source keeps playing the old one until the switch.
    transfer.content = {
      queue: startContent(ctx.queue, command),
      position: { positionMs: command.positionMs ?? 0, atServerTime: now, rate: 0 },
    };
  }
  const deadline = now + settings.prepareTimeoutMs;
  let step: Step = { ctx: { ...ctx, transfer, transferCount: ctx.transferCount + 1 }, effects: [] };
  step = setDeadline(step, 'prepare', deadline, { type: 'timer.prepare', transferId: transfer.id });
  step = trace(step, {
    kind: 'transfer.phase',
    name: 'prepare',
    deviceId: transfer.targetId,
    correlationId: transfer.id,
    payload: { commandId: command.commandId, sourceId, targetId: transfer.targetId, play: transfer.play, ...groupPayload(transfer) },
  });
  const playback = toCluster(withContent(step.ctx)).playback;
  const preparing = transfer.members ? Object.keys(transfer.members).filter((id) => transfer.members![id] === 'preparing') : [transfer.targetId];
  for (const deviceId of preparing) {
    const volume = ctx.devices[deviceId]?.volume ?? 50;
    step.effects.push({ type: 'send', deviceId, message: { type: 'transfer.prepare', transferId: transfer.id, playback, volume, deadline } });
  }
  return step;
}

/** A group transfer's members and the playing group's members it stops, for traces. */
function groupPayload(t: Transfer): Record<string, unknown> {
  return {
    ...(t.members ? { members: t.members } : {}),
    ...(t.stopIds ? { stopIds: t.stopIds } : {}),
  };
}

/** The context as it will be once the transfer commits: with the transfer's new content, if any. */
function withContent(ctx: SessionContext): SessionContext {
  const content = ctx.transfer?.content;
  return content ? { ...ctx, queue: content.queue, position: content.position } : ctx;
}

/** Whether the ready target should start at a scheduled time (it will play), or commit at once (paused). */
export const switchNeeded = (ctx: SessionContext) => Boolean(ctx.transfer?.play);

/** Phase 2: the target is ready; schedule the switch at server time T for both devices. */
export function scheduleSwitch(ctx: SessionContext, now: number, leadMs: number, settings: SessionSettings): Step {
  const transfer = ctx.transfer!;
  const at = now + Math.max(settings.minLeadMs, leadMs);
  const next = withContent(ctx);
  const positionMs = isPlaying(next) ? currentPositionMs(next, at) : next.position.positionMs;
  let step: Step = { ctx: { ...ctx, transfer: { ...transfer, switchAt: at, positionAtSwitch: positionMs } }, effects: [] };
  step = clearDeadline(step, 'prepare');
  step = setDeadline(step, 'switch', at + settings.switchTimeoutMs, { type: 'timer.switch', transferId: transfer.id });
  step = trace(step, {
    kind: 'transfer.phase',
    name: 'switch-scheduled',
    correlationId: transfer.id,
    payload: { atServerTime: at, positionMs, leadMs: at - now, ...groupPayload(transfer) },
  });
  // Each message a literal, not a spread of a shared base: on Node 20 here an object spread with a
  // double field gets a hidden class of its own (~250 B more a message, held as long as the trace).
  const message = (role: 'start' | 'stop') => ({ type: 'transfer.switch', transferId: transfer.id, atServerTime: at, positionMs, role }) as const;
  const starts = startIds(transfer);
  for (const deviceId of starts) step.effects.push({ type: 'send', deviceId, message: message('start') });
  // A source that is also a member of the target group starts (it is told one thing at T, not two).
  for (const deviceId of stopIds(transfer)) {
    if (!starts.includes(deviceId)) step.effects.push({ type: 'send', deviceId, message: message('stop') });
  }
  // Members left out unload what they prepared; the group plays without them.
  for (const deviceId of leftOut(transfer)) {
    step.effects.push({ type: 'send', deviceId, message: { type: 'transfer.abort', transferId: transfer.id, code: 'TRANSFER_TIMEOUT' } });
  }
  return step;
}

/** Phase 3: commit the new active device and push it to everyone; answer every waiter. */
export function commitTransfer(ctx: SessionContext, now: number): Step {
  const transfer = ctx.transfer!;
  const next = withContent(ctx);
  const position =
    transfer.switchAt !== undefined
      ? { positionMs: transfer.positionAtSwitch!, atServerTime: transfer.switchAt, rate: 1 as const }
      : { positionMs: currentPositionMs(next, now), atServerTime: now, rate: 0 as const };
  let committed: SessionContext = { ...next, activeDeviceId: transfer.targetId, position, transfer: null };
  const group = ctx.groups[transfer.targetId];
  if (group && transfer.members) {
    const started = startIds(transfer);
    const playingIds = transfer.join ? [...group.playingIds.filter((id) => !started.includes(id)), ...started] : started;
    committed = { ...committed, groups: { ...committed.groups, [group.id]: { ...group, playingIds } } };
  }
  let step: Step = { ctx: committed, effects: [] };
  step = clearDeadline(clearDeadline(step, 'prepare'), 'switch');
  const out = leftOut(transfer);
  step = trace(step, {
    kind: 'transfer.phase',
    name: 'committed',
    deviceId: transfer.targetId,
    correlationId: transfer.id,
    payload: { durationMs: now - transfer.startedAt, sourceId: transfer.sourceId, ...groupPayload(transfer), ...(transfer.members ? { leftOut: out } : {}) },
  });
  step = commit(step, 'transfer');
  for (const waiter of transfer.waiters) {
    step = answer(step, waiter, ok(waiter.commandId, step.ctx.revision, out.length ? { leftOut: out } : {}));
  }
  return step;
}

/**
 * The transfer will not happen. The target unloads (or stops); a source that already stopped
 * resumes on its unchanged position line. Nothing was committed, so the revision stays.
 */
export function rollback(ctx: SessionContext, code: ErrorCode, message: string): Step {
  const transfer = ctx.transfer!;
  let step: Step = { ctx: { ...ctx, transfer: null }, effects: [] };
  step = clearDeadline(clearDeadline(step, 'prepare'), 'switch');
  step = syncTrackEnd(step);
  step = trace(step, {
    kind: 'transfer.phase',
    name: 'rolled-back',
    deviceId: transfer.targetId,
    correlationId: transfer.id,
    payload: { code, message },
  });
  const abort = { type: 'transfer.abort', transferId: transfer.id, code } as const;
  for (const deviceId of transfer.members ? Object.keys(transfer.members) : [transfer.targetId]) {
    step.effects.push({ type: 'send', deviceId, message: abort });
  }
  if (transfer.switchAt !== undefined) {
    for (const deviceId of stopIds(transfer)) step.effects.push({ type: 'send', deviceId, message: { ...abort, resumeAt: ctx.position } });
  }
  step = releaseHeld(step, transfer);
  for (const waiter of transfer.waiters) step = answer(step, waiter, fail(waiter.commandId, code, message));
  return step;
}

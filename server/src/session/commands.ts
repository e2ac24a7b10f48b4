import { lookupContext, lookupTrack, type Command, type Track } from '@handoff/protocol';
import {
  answer,
  commit,
  currentPositionMs,
  fail,
  isPlaying,
  ok,
  type SessionContext,
  type Step,
  type Waiter,
} from './context.ts';
import { applyGroupCommand, isGroupCommand, setGroupVolume, targetOf } from './groups.ts';
import { advance, enqueue, rewind, setRepeat, setShuffle, startContent, stepBack } from './play-queue.ts';

/** Going back within this many ms of a track's start goes to the previous track; later, restarts it. */
const RESTART_THRESHOLD_MS = 3000;

type Refusal = Pick<Extract<ReturnType<typeof fail>, { ok: false }>, 'code' | 'message'>;

/** Why `command` cannot run now (from `origin`), or null when it can. Transfers are checked in transfer.ts. */
export function refusal(ctx: SessionContext, command: Command, origin: string): Refusal | null {
  if (command.type === 'command.transfer' || isGroupCommand(command)) return null;
  if (command.type === 'command.volume' && command.deviceId) return volumeRefusal(ctx, command.deviceId);
  if (command.type === 'command.play' && command.deviceId && command.deviceId !== ctx.activeDeviceId) return null;
  const active = ctx.activeDeviceId ? targetOf(ctx, ctx.activeDeviceId) : undefined;
  if (!active) return { code: 'NO_ACTIVE_DEVICE', message: 'no device is active: transfer playback to one first' };
  if (!active.capabilities.controllable && origin !== active.id) {
    return { code: 'RESTRICTED', message: `device ${active.id} does not accept remote commands` };
  }
  if (command.type === 'command.volume') return volumeRefusal(ctx, active.id);
  if ((command.type === 'command.resume' || command.type === 'command.seek') && !ctx.queue.current) {
    return { code: 'BAD_REQUEST', message: 'nothing is loaded: play something first' };
  }
  if (command.type === 'command.play') {
    const track = firstTrackOf(command);
    if (track && !active.capabilities.mediaTypes.includes(track.mediaType)) {
      return { code: 'RESTRICTED', message: `device ${active.id} cannot play ${track.mediaType}` };
    }
    if (!track && !ctx.queue.current) return { code: 'BAD_REQUEST', message: 'nothing is loaded: give a context_uri or uris' };
  }
  return null;
}

function volumeRefusal(ctx: SessionContext, deviceId: string): Refusal | null {
  const device = targetOf(ctx, deviceId);
  if (!device) return { code: 'DEVICE_NOT_FOUND', message: `no device ${deviceId}` };
  if (!device.online) return { code: 'DEVICE_OFFLINE', message: `device ${deviceId} is offline` };
  if (device.capabilities.volumeSteps === 0) {
    return { code: 'RESTRICTED', message: `device ${deviceId} has no volume control` };
  }
  return null;
}

function firstTrackOf(command: Extract<Command, { type: 'command.play' }>): Track | undefined {
  if (command.uris) return lookupTrack(command.uris[0]!);
  if (command.contextUri) return lookupContext(command.contextUri)[0];
  return undefined;
}

/** Whether a command changes what plays or where: such a command supersedes a transfer being prepared. */
export function movesPlayback(command: Command): boolean {
  return ['command.play', 'command.pause', 'command.resume', 'command.seek', 'command.next', 'command.previous'].includes(
    command.type,
  );
}

/** Apply a command that needs no handoff, answer it, and commit if it changed anything. */
export function applyCommand(ctx: SessionContext, command: Command, waiter: Waiter, origin: string, now: number): Step {
  if (isGroupCommand(command)) return applyGroupCommand(ctx, command, waiter, now);
  const step: Step = { ctx, effects: [] };
  const no = refusal(ctx, command, origin);
  if (no) return answer(step, waiter, fail(command.commandId, no.code, no.message));
  const changed = change(ctx, command, now);
  if (!changed) return answer(step, waiter, ok(command.commandId, ctx.revision));
  const committed = commit({ ctx: changed, effects: [] }, command.type);
  return answer(committed, waiter, ok(command.commandId, committed.ctx.revision));
}

/** The new context after a command, or null when it changes nothing (pausing what is paused). */
function change(ctx: SessionContext, command: Command, now: number): SessionContext | null {
  // A volume, the most common command, moves no line: no closure made for it (tsx wraps each in a naming call).
  if (command.type === 'command.volume') return volumeChange(ctx, command.deviceId ?? ctx.activeDeviceId!, command.volumePercent);
  const here = currentPositionMs(ctx, now);
  const playingLine = (positionMs: number, rate: 0 | 1 = ctx.position.rate) => line(positionMs, now, rate);
  switch (command.type) {
    case 'command.pause':
      return isPlaying(ctx) ? { ...ctx, position: playingLine(here, 0) } : null;
    case 'command.resume':
      return isPlaying(ctx) ? null : { ...ctx, position: playingLine(here, 1) };
    case 'command.play': {
      if (!command.contextUri && !command.uris) {
        if (command.positionMs !== undefined) return { ...ctx, position: playingLine(command.positionMs, 1) };
        return isPlaying(ctx) ? null : { ...ctx, position: playingLine(here, 1) };
      }
      const queue = startContent(ctx.queue, command);
      return { ...ctx, queue, position: playingLine(Math.min(command.positionMs ?? 0, queue.current?.durationMs ?? 0), 1) };
    }
    case 'command.seek':
      return { ...ctx, position: playingLine(Math.min(command.positionMs, ctx.queue.current?.durationMs ?? 0)) };
    case 'command.next': {
      const queue = advance(ctx.queue, false);
      if (queue) return { ...ctx, queue, position: playingLine(0) };
      return { ...ctx, queue: rewind(ctx.queue), position: playingLine(0, 0) };
    }
    case 'command.previous': {
      const queue = here > RESTART_THRESHOLD_MS ? null : stepBack(ctx.queue);
      return { ...ctx, queue: queue ?? ctx.queue, position: playingLine(0) };
    }
    case 'command.shuffle':
      return ctx.queue.shuffle === command.state ? null : { ...ctx, queue: setShuffle(ctx.queue, command.state) };
    case 'command.repeat':
      return ctx.queue.repeat === command.state ? null : { ...ctx, queue: setRepeat(ctx.queue, command.state) };
    case 'command.queue':
      return { ...ctx, queue: enqueue(ctx.queue, command.uri) };
    case 'command.transfer':
    case 'command.group.create':
    case 'command.group.update':
    case 'command.group.delete':
      return null;
  }
}

function line(positionMs: number, atServerTime: number, rate: 0 | 1) {
  return { positionMs, atServerTime, rate };
}

function volumeChange(ctx: SessionContext, id: string, volumePercent: number): SessionContext | null {
  const group = ctx.groups[id];
  if (group) return setGroupVolume(ctx, group, volumePercent);
  const device = ctx.devices[id]!;
  if (device.volume === volumePercent) return null;
  return { ...ctx, devices: { ...ctx.devices, [id]: { ...device, volume: volumePercent } } };
}

/** The track ended by itself: move on (repeat and shuffle respected) or stop at the end. */
export function trackEnded(ctx: SessionContext, now: number): Step {
  const queue = advance(ctx.queue, true);
  const step: Step = queue
    ? { ctx: { ...ctx, queue, position: { positionMs: 0, atServerTime: now, rate: 1 } }, effects: [] }
    : { ctx: { ...ctx, queue: rewind(ctx.queue), position: { positionMs: 0, atServerTime: now, rate: 0 } }, effects: [] };
  return commit(step, queue ? 'track.next' : 'track.end-of-context');
}

import { PROTOCOL_VERSION, positionAt, type DeviceHello } from '@handoff/protocol';
import {
  clearDeadline,
  commit,
  currentPositionMs,
  setDeadline,
  toCluster,
  trace,
  type DeviceRecord,
  type SessionContext,
  type Step,
} from './context.ts';
import { memberOffline } from './groups.ts';
import { emptyQueue } from './play-queue.ts';
import type { SessionSettings } from './settings.ts';

export interface Join {
  device: DeviceHello['device'];
  resume: DeviceHello['resume'];
  connId: string;
  heartbeatMs: number;
}

const connected = (ctx: SessionContext) => Object.values(ctx.devices).some((d) => d.connId !== null);

/**
 * A device connected (for the first time, within its grace period, or back from offline).
 * It gets a welcome with the cluster; everyone else gets a push when something they see changed.
 */
export function join(ctx: SessionContext, j: Join, now: number, settings: SessionSettings): Step {
  const known = ctx.devices[j.device.id];
  const device: DeviceRecord = {
    id: j.device.id,
    name: j.device.name,
    kind: j.device.kind,
    capabilities: j.device.capabilities,
    volume: known?.volume ?? j.device.volume ?? 50,
    online: true,
    connId: j.connId,
    lastSeenAt: now,
  };
  let step: Step = {
    // A device that saw a higher revision than ours (we restarted) raises the floor, so what we
    // push next is never ignored as stale.
    ctx: { ...ctx, revision: Math.max(ctx.revision, j.resume?.revision ?? 0), devices: { ...ctx.devices, [device.id]: device } },
    effects: [],
  };
  step = clearDeadline(clearDeadline(step, `grace:${device.id}`), 'idle');
  step = trace(step, {
    kind: 'presence',
    name: known ? (known.online ? 'reconnected' : 'online') : 'joined',
    deviceId: device.id,
  });
  const rebuilt = rebuildFrom(step.ctx, j, now, known === undefined);
  if (rebuilt) step = trace({ ...step, ctx: rebuilt }, { kind: 'presence', name: 'session-rebuilt', deviceId: device.id });
  const visibleChange =
    rebuilt ||
    !known ||
    !known.online ||
    known.name !== device.name ||
    JSON.stringify(known.capabilities) !== JSON.stringify(device.capabilities);
  if (visibleChange) step = commit(step, known ? 'device.online' : 'device.joined', device.id);
  step.effects.push({
    type: 'send',
    deviceId: device.id,
    message: {
      type: 'hub.welcome',
      protocolVersion: PROTOCOL_VERSION,
      deviceId: device.id,
      serverTime: now,
      heartbeatMs: j.heartbeatMs,
      graceMs: settings.graceMs,
      ...(settings.publicUrl ? { ownerUrl: settings.publicUrl } : {}),
      cluster: toCluster(step.ctx),
    },
  });
  return step;
}

/**
 * After a restart the hub knows nothing; a device tells it what it has, and the session is
 * rebuilt around it, only while no device is active:
 * - a device that is playing becomes active, playing on its line;
 * - a paused report fills only a session with nothing loaded (a hub that lost its memory, not one
 *   that paused a device after its grace period), paused, with the device active again if it was;
 * - the device that was active, paused on the track another device's report loaded, is active again.
 */
function rebuildFrom(ctx: SessionContext, j: Join, now: number, firstSeen: boolean): SessionContext | null {
  const resume = j.resume;
  if (!resume?.playback.track || ctx.activeDeviceId !== null) return null;
  if (!resume.playing && ctx.queue.current) {
    // Another device's paused report may have filled the session first (devices reconnect to a
    // restarted hub in any order): the device that was active, new to this session and paused on
    // the same track, is active again. One back after its grace period is known, and is not.
    const same = firstSeen && resume.active === true && ctx.position.rate === 0 && ctx.queue.current.uri === resume.playback.track.uri;
    return same ? { ...ctx, activeDeviceId: j.device.id } : null;
  }
  const active = resume.playing || resume.active === true;
  const { playback } = resume;
  const tracks = [playback.track!, ...playback.upNext];
  const position = resume.playing
    ? playback.position
    : { positionMs: positionAt(playback.position, now, playback.track!.durationMs), atServerTime: now, rate: 0 as const };
  return {
    ...ctx,
    activeDeviceId: active ? j.device.id : null,
    position,
    queue: {
      ...emptyQueue(),
      contextUri: playback.contextUri,
      tracks,
      order: tracks.map((_, i) => i),
      current: playback.track,
      shuffle: playback.shuffle,
      repeat: playback.repeat,
    },
  };
}

/** What a session hears of a closed connection. */
export interface Leave {
  deviceId: string;
  connId: string;
  goodbye: boolean;
  /** When the hub last heard from the connection (default: now). */
  lastHeardAt?: number | undefined;
}

/**
 * A connection closed. A stale close (the device already reconnected) changes nothing. The grace
 * period counts from the last frame heard, not from the close (which can come heartbeats later):
 * a device goes silent `graceMs` after the last frame it heard, and the hub pauses the line then.
 */
export function leave(ctx: SessionContext, { deviceId, connId, goodbye, lastHeardAt }: Leave, now: number, settings: SessionSettings): Step {
  const device = ctx.devices[deviceId];
  if (!device || device.connId !== connId) return { ctx, effects: [] };
  let step: Step = {
    ctx: { ...ctx, devices: { ...ctx.devices, [deviceId]: { ...device, connId: null, lastSeenAt: now } } },
    effects: [],
  };
  step = trace(step, { kind: 'presence', name: goodbye ? 'goodbye' : 'disconnected', deviceId });
  const silentAt = Math.min(now, lastHeardAt ?? now) + settings.graceMs;
  step = goodbye ? offline(step, deviceId, now) : setDeadline(step, `grace:${deviceId}`, silentAt, { type: 'timer.grace', deviceId });
  if (!connected(step.ctx)) step = setDeadline(step, 'idle', now + settings.idleMs, { type: 'timer.idle' });
  return step;
}

/**
 * The grace period ran out (or the device said goodbye): offline, and it loses the active role.
 * Playback pauses where the device fell silent: at the end of its grace period (its deadline,
 * even when the timer fired late), or now after a goodbye.
 */
export function offline(step: Step, deviceId: string, now: number): Step {
  const ctx = step.ctx;
  const device = ctx.devices[deviceId];
  if (!device || device.connId !== null || !device.online) return clearDeadline(step, `grace:${deviceId}`);
  let next: SessionContext = memberOffline({ ...ctx, devices: { ...ctx.devices, [deviceId]: { ...device, online: false } } }, deviceId, now);
  if (ctx.activeDeviceId === deviceId) {
    const silentAt = Math.min(now, ctx.deadlines[`grace:${deviceId}`]?.at ?? now);
    next = {
      ...next,
      activeDeviceId: null,
      position: { positionMs: currentPositionMs(ctx, silentAt), atServerTime: now, rate: 0 },
    };
  }
  const cleared = clearDeadline({ ctx: next, effects: step.effects }, `grace:${deviceId}`);
  return commit(trace(cleared, { kind: 'presence', name: 'offline', deviceId }), 'device.offline');
}

export const hasConnectedDevice = connected;

/**
 * A session was just opened (fresh, or restored from the store). Connections recorded in a
 * restored snapshot are gone: their devices get a fresh grace period from now, so devices that
 * kept playing through an outage reconnect into their roles. A session nobody is connected to
 * is stopped after its idle time.
 */
export function opened(ctx: SessionContext, restored: boolean, now: number, settings: SessionSettings): Step {
  let step: Step = { ctx, effects: [] };
  if (restored) {
    const devices = { ...ctx.devices };
    for (const d of Object.values(ctx.devices)) {
      if (d.connId === null && !(`grace:${d.id}` in ctx.deadlines)) continue;
      devices[d.id] = { ...d, connId: null };
      step = setDeadline(step, `grace:${d.id}`, now + settings.graceMs, { type: 'timer.grace', deviceId: d.id });
    }
    step = { ...step, ctx: { ...step.ctx, devices } };
  }
  if (!connected(step.ctx)) step = setDeadline(step, 'idle', now + settings.idleMs, { type: 'timer.idle' });
  return step;
}

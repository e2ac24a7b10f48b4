import { blankDeviceBaseline, soundsOn, type DeviceBaseline } from '@handoff/protocol';
import type { Cluster, TraceBaseline, TraceEvent } from './types.ts';

/**
 * What one device was doing at some moment, as the trace tells it: the fields the hub's baseline
 * carries (one shape, from the protocol), and what only the viewer follows.
 */
export interface DeviceState extends DeviceBaseline {
  /** A switch the device was told to carry out at a server time. */
  pendingSwitch: { role: 'start' | 'stop'; at: number; transferId: string } | null;
  lastHeardTs: number | null;
  silent: boolean;
}

export interface PendingTimer {
  id: string;
  at: number;
  armedTs: number;
  seq: number;
  correlationId?: string;
}

/** Everything known at one point of the trace: the hub's view, every device, the timers. */
export interface World {
  ts: number;
  seq: number;
  machine: string;
  cluster: Cluster | null;
  devices: Record<string, DeviceState>;
  timers: Record<string, PendingTimer>;
  transferId: string | null;
}

export const emptyWorld = (): World => ({
  ts: 0,
  seq: 0,
  machine: 'idle',
  cluster: null,
  devices: {},
  timers: {},
  transferId: null,
});

export const cloneWorld = (w: World): World => ({
  ...w,
  devices: Object.fromEntries(
    Object.entries(w.devices).map(([k, d]) => [k, { ...d, pendingSwitch: d.pendingSwitch && { ...d.pendingSwitch } }]),
  ),
  timers: { ...w.timers },
});

function device(w: World, id: string): DeviceState {
  let d = w.devices[id];
  if (!d) {
    d = { ...blankDeviceBaseline(id), pendingSwitch: null, lastHeardTs: null, silent: false };
    w.devices[id] = d;
  }
  return d;
}

/** Carry out scheduled switches whose time has come (stops before starts, as at a real switch). */
export function settleSwitches(w: World, now: number): void {
  const due = Object.values(w.devices)
    .filter((d) => d.pendingSwitch && d.pendingSwitch.at <= now)
    .sort((a, b) => (a.pendingSwitch!.role === 'stop' ? -1 : 1) - (b.pendingSwitch!.role === 'stop' ? -1 : 1));
  for (const d of due) {
    d.playing = d.pendingSwitch!.role === 'start';
    d.pendingSwitch = null;
  }
}

function applyCluster(w: World, cluster: Cluster, to: string | undefined): void {
  if (!w.cluster || cluster.revision >= w.cluster.revision) w.cluster = cluster;
  for (const info of cluster.devices) {
    const d = device(w, info.id);
    d.name = info.name;
    d.kind = info.kind;
    d.online = info.online;
    d.volume = info.volume;
    // A member of the active group counts as active while it plays with the group.
    d.active = soundsOn(cluster, info.id);
  }
  if (to) {
    const d = device(w, to);
    d.revision = Math.max(d.revision ?? 0, cluster.revision);
    if (!d.pendingSwitch) {
      const playing = soundsOn(cluster, to) && cluster.playback.position.rate > 0 && cluster.playback.track !== null;
      d.playing = playing;
    }
  }
}

/** A world that starts where the hub's baseline says (the state before the oldest event it still held). */
export function worldFrom(b: TraceBaseline, cluster: Cluster | null): World {
  const w = emptyWorld();
  w.seq = b.throughSeq;
  w.machine = b.machine;
  w.transferId = b.transferId;
  w.cluster = cluster;
  for (const x of b.devices) {
    // Every field of the baseline is a field of the world's device, under the same name.
    Object.assign(device(w, x.id), x);
  }
  return w;
}

/** Advance the world by one event. Mutates `w`. */
export function applyEvent(w: World, e: TraceEvent): void {
  settleSwitches(w, e.ts);
  w.ts = e.ts;
  w.seq = e.seq;
  const d = e.deviceId ? device(w, e.deviceId) : null;
  if (d && e.kind === 'message.in') {
    d.lastHeardTs = e.ts;
    d.silent = false;
  }
  switch (e.kind) {
    case 'transition':
      w.machine = e.to;
      break;
    case 'connection':
      if (d) d.connected = e.type === 'opened';
      break;
    case 'presence':
      if (!d) break;
      if (e.type === 'joined' || e.type === 'online' || e.type === 'reconnected') {
        d.online = true;
        d.connected = true;
      }
      if (e.type === 'disconnected') d.connected = false;
      if (e.type === 'goodbye' || e.type === 'offline') {
        d.online = false;
        d.connected = false;
        d.playing = false;
        d.pendingSwitch = null;
      }
      if (e.type === 'silent') d.silent = true;
      if (e.type === 'heard-again') d.silent = false;
      break;
    case 'clock':
      // Only the estimate is the device's clock; a drift report is where a group member's sound is.
      if (d && e.type === 'estimate') {
        d.offsetMs = e.payload.offsetMs;
        d.errorMs = e.payload.errorMs;
      }
      break;
    case 'timer.armed':
      w.timers[e.type] = {
        id: e.type,
        at: e.payload.at,
        armedTs: e.ts,
        seq: e.seq,
        ...(e.correlationId ? { correlationId: e.correlationId } : {}),
      };
      break;
    case 'timer.fired':
    case 'timer.cancelled':
      delete w.timers[e.type];
      break;
    case 'transfer.phase': {
      const id = e.correlationId ?? null;
      if (e.type === 'prepare') {
        w.transferId = id;
        for (const x of Object.values(w.devices)) x.role = null;
        device(w, e.payload.targetId).role = 'target';
        if (e.payload.sourceId) device(w, e.payload.sourceId).role = 'source';
      }
      if ((e.type === 'committed' || e.type === 'rolled-back') && w.transferId === id) {
        w.transferId = null;
        for (const x of Object.values(w.devices)) x.role = null;
      }
      break;
    }
    case 'message.in':
      if (d && e.payload.type === 'device.hello') {
        d.name = e.payload.device.name;
        d.kind = e.payload.device.kind;
        if (e.payload.resume?.playing) d.playing = true;
      }
      break;
    case 'message.out': {
      const m = e.payload;
      // A push names its recipients instead of one device.
      if (e.recipients && m.type === 'cluster.update') for (const id of e.recipients) applyCluster(w, m.cluster, id);
      if (!d) break;
      if (m.type === 'hub.welcome') {
        d.heartbeatMs = m.heartbeatMs;
        applyCluster(w, m.cluster, d.id);
      } else if (m.type === 'cluster.update') applyCluster(w, m.cluster, d.id);
      else if (m.type === 'transfer.switch') d.pendingSwitch = { role: m.role, at: m.atServerTime, transferId: m.transferId };
      else if (m.type === 'transfer.abort') {
        d.pendingSwitch = null;
        if (m.resumeAt) d.playing = true;
        else if (d.role === 'target') d.playing = false;
      }
      break;
    }
    default:
      break;
  }
}

import { blankDeviceBaseline, soundsOn, type Cluster, type DeviceBaseline, type TraceBaseline, type TraceEvent } from '@handoff/protocol';

/** Nothing folded yet: the state before a user's first event. */
export const emptyBaseline = (): TraceBaseline => ({ throughSeq: 0, machine: 'idle', transferId: null, devices: [] });

/**
 * Fold one event the ring is about to evict into the state it leaves behind, so a viewer that
 * connects later still starts from who was connected, playing, in sync and in which role.
 * Mutates `b`; cheap (no serialization), since it runs for every evicted event.
 */
export function foldBaseline(b: TraceBaseline, e: TraceEvent): void {
  b.throughSeq = e.seq;
  const d = e.deviceId === undefined ? null : device(b, e.deviceId);
  switch (e.kind) {
    case 'transition':
      b.machine = e.to;
      return;
    case 'connection':
      if (d) d.connected = e.type === 'opened';
      return;
    case 'presence':
      if (!d) return;
      if (e.type === 'joined' || e.type === 'online' || e.type === 'reconnected') d.online = d.connected = true;
      else if (e.type === 'disconnected') d.connected = false;
      else if (e.type === 'goodbye' || e.type === 'offline') d.online = d.connected = d.playing = false;
      return;
    case 'clock':
      // Only the estimate is the device's clock; a drift report is where a group member's sound is.
      if (d && e.type === 'estimate') {
        d.offsetMs = e.payload.offsetMs;
        d.errorMs = e.payload.errorMs;
      }
      return;
    case 'transfer.phase':
      if (e.type === 'prepare') {
        b.transferId = e.correlationId ?? null;
        for (const x of b.devices) x.role = null;
        device(b, e.payload.targetId).role = 'target';
        if (e.payload.sourceId) device(b, e.payload.sourceId).role = 'source';
      } else if ((e.type === 'committed' || e.type === 'rolled-back') && b.transferId === (e.correlationId ?? null)) {
        b.transferId = null;
        for (const x of b.devices) x.role = null;
      }
      return;
    case 'message.in':
      if (d && e.payload.type === 'device.hello') {
        d.name = e.payload.device.name;
        d.kind = e.payload.device.kind;
        if (e.payload.resume?.playing) d.playing = true;
      }
      return;
    case 'message.out': {
      const m = e.payload;
      // A push names its recipients instead of one device: each of them was told the cluster.
      if (!d && e.recipients && m.type === 'cluster.update') {
        for (const id of e.recipients) applyCluster(b, m.cluster, device(b, id));
        return;
      }
      if (!d) return;
      if (m.type === 'hub.welcome' || m.type === 'cluster.update') {
        if (m.type === 'hub.welcome') d.heartbeatMs = m.heartbeatMs;
        applyCluster(b, m.cluster, d);
      } else if (m.type === 'transfer.switch') d.playing = m.role === 'start';
      else if (m.type === 'transfer.abort') {
        if (m.resumeAt) d.playing = true;
        else if (d.role === 'target') d.playing = false;
      }
      return;
    }
    default:
      return;
  }
}

function applyCluster(b: TraceBaseline, cluster: Cluster, to: DeviceBaseline): void {
  for (const info of cluster.devices) {
    const x = device(b, info.id);
    x.name = info.name;
    x.kind = info.kind;
    x.online = info.online;
    x.volume = info.volume;
    x.active = soundsOn(cluster, info.id);
  }
  to.revision = Math.max(to.revision ?? 0, cluster.revision);
  to.playing = soundsOn(cluster, to.id) && cluster.playback.position.rate > 0 && cluster.playback.track !== null;
}

function device(b: TraceBaseline, id: string): DeviceBaseline {
  let d = b.devices.find((x) => x.id === id);
  if (!d) {
    d = blankDeviceBaseline(id);
    b.devices.push(d);
  }
  return d;
}

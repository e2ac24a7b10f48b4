import type { TraceEvent } from './types.ts';

/** A duration: 0.4 ms, 12 ms, 1.25 s, 3 min 4 s. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const a = Math.abs(value);
  const sign = value < 0 ? '−' : '';
  if (a < 10) return `${sign}${a.toFixed(1)} ms`;
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
  return `${sign}${Math.floor(a / 60_000)} min ${Math.round((a % 60_000) / 1000)} s`;
}

const sec = (msValue: number) => `${(msValue / 1000).toFixed(2)} s`;

/** One line about an event, as the list shows it (and as search reads it). */
export function summary(e: TraceEvent): string {
  switch (e.kind) {
    case 'transition':
      return `${e.from ?? '?'} → ${e.to}`;
    case 'timer.armed':
      return `in ${ms(e.payload.inMs)}`;
    case 'timer.fired':
    case 'timer.cancelled':
      return '';
    case 'command.result':
      return e.payload.ok ? `ok · rev ${e.payload.revision}` : `${e.payload.code}: ${e.payload.message}`;
    case 'clock':
      return e.type === 'estimate'
        ? `offset ${ms(e.payload.offsetMs)} ± ${ms(e.payload.errorMs)} · rtt ${ms(e.payload.rttMs)}`
        : `drift ${ms(e.payload.driftMs)} in group ${e.payload.groupId}`;
    case 'transfer.phase':
      switch (e.type) {
        case 'switch-scheduled':
          return `T in ${ms(e.payload.leadMs)} at ${sec(e.payload.positionMs)}`;
        case 'committed':
          return `took ${ms(e.payload.durationMs)}`;
        case 'rolled-back':
          return `${e.payload.code}: ${e.payload.message}`;
        case 'prepare':
          return `${e.payload.sourceId ?? '–'} → ${e.payload.targetId}`;
      }
      return '';
    case 'error':
      return 'message' in e.payload ? e.payload.message : `while handling ${e.payload.event}`;
    case 'connection':
      if (e.type === 'closed') return [e.payload.by, e.payload.code, e.payload.reason].filter((x) => x !== undefined && x !== '').join(' ');
      return e.type === 'opened' ? e.payload.connId : `node ${e.payload.node} lost`;
    case 'presence':
      return e.type === 'silent' || e.type === 'heard-again' ? `silent ${ms(e.payload.silentMs)}` : '';
    case 'message.out': {
      const m = e.payload;
      switch (m.type) {
        case 'cluster.update':
          return `rev ${m.cluster.revision} · active ${m.cluster.activeDeviceId ?? '–'} · ${m.reason}`;
        case 'hub.welcome':
          return `rev ${m.cluster.revision} · active ${m.cluster.activeDeviceId ?? '–'}`;
        case 'transfer.switch':
          return `${m.role} at T · ${sec(m.positionMs)}`;
        case 'transfer.prepare':
          return `deadline in ${ms(m.deadline - e.ts)}`;
        case 'transfer.abort':
          return m.code;
        case 'error':
          return `${m.code}: ${m.message}`;
        case 'command.result':
          return m.ok ? `ok · rev ${m.revision}` : `${m.code}: ${m.message}`;
        case 'clock.sync':
          return `offset ${ms(m.offsetMs)}`;
        default:
          return '';
      }
    }
    case 'message.in': {
      const m = e.payload;
      switch (m.type) {
        case 'transfer.started':
          return m.atServerTime === undefined ? '' : `started ${ms(m.atServerTime - e.ts)} vs arrival`;
        case 'transfer.failed':
          return m.reason;
        case 'device.hello':
          return `${m.device.kind} “${m.device.name}”${m.resume?.playing ? ' · resumes playing' : ''}`;
        case 'command.volume':
          return `${m.volumePercent}%${m.deviceId ? ` on ${m.deviceId}` : ''}`;
        case 'command.transfer':
          return `to ${m.deviceId}${m.play === undefined ? '' : m.play ? ' · play' : ' · paused'}`;
        case 'command.play':
          return (m.contextUri ?? (m.uris ? `${m.uris.length} uris` : '')) + (m.deviceId ? ` on ${m.deviceId}` : '');
        case 'command.seek':
          return `to ${(m.positionMs / 1000).toFixed(1)} s`;
        default:
          return 'origin' in m && typeof m.origin === 'string' ? `from ${m.origin}` : '';
      }
    }
  }
}

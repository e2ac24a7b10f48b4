import type { TraceEvent } from '../model/types.ts';

/** Local wall-clock time with milliseconds: 14:03:07.412 */
export function clock(ts: number): string {
  const d = new Date(ts);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

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

/** m:ss for a playback position. */
export function position(msValue: number): string {
  const s = Math.max(0, Math.floor(msValue / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export const count = (n: number) => n.toLocaleString('en-US');

/** A stable hue for a correlation id, so one transfer keeps one colour everywhere. */
export function corrColor(id: string | undefined, alpha = 1): string {
  if (!id) return `rgba(130,145,163,${alpha})`;
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  const hue = (((h >>> 0) % 360) + 360) % 360;
  return `hsla(${hue}, 75%, 66%, ${alpha})`;
}

export const KIND_COLOR: Record<string, string> = {
  'message.in': '#5cc8ff',
  'message.out': '#7ee2a8',
  transition: '#c79bff',
  'timer.armed': '#f5c26b',
  'timer.fired': '#f5a623',
  'timer.cancelled': '#9c8a6a',
  'transfer.phase': '#ff9f5a',
  'command.result': '#9ad0ff',
  error: '#ff6b6b',
  connection: '#8fa3b8',
  presence: '#b5c4d4',
  clock: '#6b7c8f',
};

export const KIND_SHORT: Record<string, string> = {
  'message.in': 'in',
  'message.out': 'out',
  transition: 'state',
  'timer.armed': 'timer',
  'timer.fired': 'fired',
  'timer.cancelled': 'cancel',
  'transfer.phase': 'phase',
  'command.result': 'result',
  error: 'error',
  connection: 'conn',
  presence: 'presence',
  clock: 'clock',
};

/** A payload field as text: strings as they are, other values as JSON, nothing as ''. */
export function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** One line about an event, for the list. */
export function summary(e: TraceEvent): string {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  switch (e.kind) {
    case 'transition':
      return `${e.from ?? '?'} → ${e.to ?? '?'}`;
    case 'timer.armed':
      return `in ${ms(Number(p.inMs))}`;
    case 'command.result':
      return p.ok ? `ok · rev ${str(p.revision)}` : `${str(p.code)}: ${str(p.message ?? '')}`;
    case 'clock':
      return `offset ${ms(Number(p.offsetMs))} ± ${ms(Number(p.errorMs))} · rtt ${ms(Number(p.rttMs))}`;
    case 'transfer.phase':
      if (e.type === 'switch-scheduled') return `T in ${ms(Number(p.leadMs))} at ${(Number(p.positionMs) / 1000).toFixed(2)} s`;
      if (e.type === 'committed') return `took ${ms(Number(p.durationMs))}`;
      if (e.type === 'rolled-back') return `${str(p.code)}: ${str(p.message ?? '')}`;
      if (e.type === 'prepare') return `${str(p.sourceId ?? '–')} → ${str(p.targetId ?? e.deviceId)}`;
      return '';
    case 'error':
      return str(p.message ?? '');
    case 'connection':
      return e.type === 'closed'
        ? `${str(p.by ?? '')} ${p.code ? str(p.code) : ''} ${str(p.reason ?? '')}`.trim()
        : str(p.connId ?? '');
    case 'presence':
      return p.silentMs !== undefined ? `silent ${ms(Number(p.silentMs))}` : '';
    default:
      break;
  }
  switch (p.type) {
    case 'cluster.update':
    case 'hub.welcome': {
      const c = p.cluster as { revision?: number; activeDeviceId?: string | null } | undefined;
      return `rev ${c?.revision ?? '?'} · active ${c?.activeDeviceId ?? '–'}${p.reason ? ` · ${str(p.reason)}` : ''}`;
    }
    case 'transfer.switch':
      return `${str(p.role)} at T · ${(Number(p.positionMs) / 1000).toFixed(2)} s`;
    case 'transfer.prepare':
      return `deadline in ${ms(Number(p.deadline) - e.ts)}`;
    case 'transfer.abort':
      return str(p.code ?? '');
    case 'transfer.started':
      return typeof p.atServerTime === 'number' ? `started ${ms(p.atServerTime - e.ts)} vs arrival` : '';
    case 'device.hello': {
      const d = p.device as { name?: string; kind?: string } | undefined;
      return `${d?.kind ?? ''} “${d?.name ?? ''}”${(p.resume as { playing?: boolean } | undefined)?.playing ? ' · resumes playing' : ''}`;
    }
    case 'command.volume':
      return `${str(p.volumePercent)}%${p.deviceId ? ` on ${str(p.deviceId)}` : ''}`;
    case 'command.transfer':
      return `to ${str(p.deviceId)}${p.play === undefined ? '' : p.play ? ' · play' : ' · paused'}`;
    case 'command.play':
      return (
        str(p.contextUri ?? (Array.isArray(p.uris) ? `${p.uris.length} uris` : '')) + (p.deviceId ? ` on ${str(p.deviceId)}` : '')
      );
    case 'command.seek':
      return `to ${(Number(p.positionMs) / 1000).toFixed(1)} s`;
    case 'error':
      return `${str(p.code)}: ${str(p.message ?? '')}`;
    default:
      return typeof p.origin === 'string' ? `from ${p.origin}` : '';
  }
}

export { ms, summary } from '../model/summary.ts';

/** Local wall-clock time with milliseconds: 14:03:07.412 */
export function clock(ts: number): string {
  const d = new Date(ts);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
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
  return `hsla(${hue}, 80%, 74%, ${alpha})`;
}

export const KIND_COLOR: Record<string, string> = {
  'message.in': '#5cc8ff',
  'message.out': '#7ee2a8',
  transition: '#c79bff',
  'timer.armed': '#f5c26b',
  'timer.fired': '#f5a623',
  'timer.cancelled': '#b5a27e',
  'transfer.phase': '#ff9f5a',
  'command.result': '#9ad0ff',
  error: '#ff6b6b',
  connection: '#9fb1c4',
  presence: '#b5c4d4',
  clock: '#8d9db1',
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

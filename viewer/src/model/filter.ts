import type { TraceEvent, TraceKind } from './types.ts';

/** What the event list shows. Empty fields match everything. */
export interface Filter {
  devices: string[];
  kinds: TraceKind[];
  /** Message type (or timer, phase): a prefix, e.g. `transfer.` or `command.play`. */
  type: string;
  correlationId: string;
  /** Free text, case-insensitive, over type, device, correlation and payload. `/re/` for a regular expression. */
  text: string;
}

export const EMPTY_FILTER: Filter = { devices: [], kinds: [], type: '', correlationId: '', text: '' };

export const isEmpty = (f: Filter) => !f.devices.length && !f.kinds.length && !f.type && !f.correlationId && !f.text;

/** Every trace kind, in display order. A record keyed by the protocol's TraceKind, so a kind added there
 * fails to compile here until it is listed (the viewer imports protocol types only, keeping zod out of the bundle). */
const KINDS: Record<TraceKind, true> = {
  'message.in': true,
  'message.out': true,
  'transition': true,
  'timer.armed': true,
  'timer.fired': true,
  'timer.cancelled': true,
  'transfer.phase': true,
  'command.result': true,
  'error': true,
  'connection': true,
  'presence': true,
  'clock': true,
};
export const ALL_KINDS = Object.keys(KINDS) as TraceKind[];

/** A predicate for a filter; `textOf` gives an event's searchable text (cached by the caller). */
export function matcher(f: Filter, textOf: (index: number) => string): (e: TraceEvent, index: number) => boolean {
  const devices = f.devices.length ? new Set(f.devices) : null;
  const kinds = f.kinds.length ? new Set<string>(f.kinds) : null;
  const type = f.type.trim();
  const corr = f.correlationId.trim();
  const text = f.text.trim();
  let test: ((s: string) => boolean) | null = null;
  if (text.length > 2 && text.startsWith('/') && text.endsWith('/')) {
    try {
      const re = new RegExp(text.slice(1, -1), 'i');
      test = (s) => re.test(s);
    } catch {
      test = () => false;
    }
  } else if (text) {
    const needle = text.toLowerCase();
    test = (s) => s.includes(needle);
  }
  return (e, index) => {
    if (devices && !devices.has(e.deviceId ?? 'hub') && !e.recipients?.some((id) => devices.has(id))) return false;
    if (kinds && !kinds.has(e.kind)) return false;
    if (type && !e.type.startsWith(type)) return false;
    if (corr && e.correlationId !== corr) return false;
    if (test && !test(textOf(index))) return false;
    return true;
  };
}

export function searchText(e: TraceEvent): string {
  return `${e.kind} ${e.type} ${e.deviceId ?? 'hub'} ${e.recipients?.join(' ') ?? ''} ${e.correlationId ?? ''} ${e.from ?? ''} ${e.to ?? ''} ${e.payload === undefined ? '' : JSON.stringify(e.payload)}`.toLowerCase();
}

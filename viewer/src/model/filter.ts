import { summary } from './summary.ts';
import type { TraceEvent, TraceKind } from './types.ts';

/** What the event list shows. Empty fields match everything. */
export interface Filter {
  devices: string[];
  kinds: TraceKind[];
  /** Message type (or timer, phase): a prefix, e.g. `transfer.` or `command.play`. */
  type: string;
  correlationId: string;
  /**
   * Free text, case-insensitive, over the text each row shows (kind, type, device, correlation,
   * summary); `/re/` for a regular expression; `device:`, `type:`, `code:`, `corr:` terms narrow by field.
   */
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

/** Field terms of the search box. */
type Field = 'device' | 'type' | 'code' | 'corr';

/** Split the search text into field terms (`code:TIMEOUT`) and the rest. */
export function parseSearch(text: string): { fields: Array<[Field, string]>; rest: string } {
  const fields: Array<[Field, string]> = [];
  const rest = text
    .trim()
    .split(/\s+/)
    .filter((word) => {
      const m = /^(device|type|code|corr):(.+)$/i.exec(word);
      if (!m) return true;
      fields.push([m[1]!.toLowerCase() as Field, m[2]!.toLowerCase()]);
      return false;
    })
    .join(' ');
  return { fields, rest };
}

/** The error code an event carries, if any: a failed result, an error, a rollback, an abort. */
export function codeOf(e: TraceEvent): string | null {
  switch (e.kind) {
    case 'command.result':
      return e.payload.ok ? null : e.payload.code;
    case 'error':
      return e.type;
    case 'transfer.phase':
      return e.type === 'rolled-back' ? e.payload.code : null;
    case 'message.out':
      return e.payload.type === 'transfer.abort' || e.payload.type === 'error' ? e.payload.code : null;
    default:
      return null;
  }
}

export interface Matcher {
  test: (e: TraceEvent, index: number) => boolean;
  /** Why nothing can match (a search that is not a valid regular expression), else null. */
  error: string | null;
}

/**
 * A predicate for a filter; `textOf` gives an event's searchable text (cached by the caller),
 * `isProblem` whether an event is on the problems list (the `error` chip shows those too).
 */
export function matcher(f: Filter, textOf: (index: number) => string, isProblem: (seq: number) => boolean): Matcher {
  const devices = f.devices.length ? new Set(f.devices) : null;
  const kinds = f.kinds.length ? new Set<string>(f.kinds) : null;
  const errors = kinds?.has('error') ?? false;
  const type = f.type.trim();
  const corr = f.correlationId.trim();
  const { fields, rest } = parseSearch(f.text);
  let test: ((s: string) => boolean) | null = null;
  let error: string | null = null;
  if (rest.length > 2 && rest.startsWith('/') && rest.endsWith('/')) {
    try {
      const re = new RegExp(rest.slice(1, -1), 'i');
      test = (s) => re.test(s);
    } catch (err) {
      error = `Not a regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`;
      test = () => false;
    }
  } else if (rest) {
    const needle = rest.toLowerCase();
    test = (s) => s.includes(needle);
  }
  const fieldTests = fields.map(([field, value]): ((e: TraceEvent) => boolean) => {
    switch (field) {
      case 'device':
        return (e) => (e.deviceId ?? 'hub').toLowerCase().includes(value) || (e.recipients?.some((id) => id.toLowerCase().includes(value)) ?? false);
      case 'type':
        return (e) => e.type.toLowerCase().startsWith(value);
      case 'code':
        return (e) => codeOf(e)?.toLowerCase().includes(value) ?? false;
      case 'corr':
        return (e) => e.correlationId?.toLowerCase().includes(value) ?? false;
    }
  });
  return {
    error,
    test: (e, index) => {
      if (devices && !devices.has(e.deviceId ?? 'hub') && !e.recipients?.some((id) => devices.has(id))) return false;
      if (kinds && !kinds.has(e.kind) && !(errors && isProblem(e.seq))) return false;
      if (type && !e.type.startsWith(type)) return false;
      if (corr && e.correlationId !== corr) return false;
      for (const t of fieldTests) if (!t(e)) return false;
      if (test && !test(textOf(index))) return false;
      return true;
    },
  };
}

/** The text a row shows, lower-cased: what free-text search reads. */
export function searchText(e: TraceEvent): string {
  return `${e.seq} ${e.kind} ${e.type} ${e.deviceId ?? e.recipients?.join(' ') ?? 'hub'} ${e.correlationId ?? ''} ${summary(e)}`.toLowerCase();
}

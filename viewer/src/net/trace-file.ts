import type { TraceEvent } from '../model/types.ts';
import { isChrome, isOtlp, readChrome, readOtlp } from './trace-formats.ts';

export type TraceFormat = 'ndjson' | 'json' | 'otlp' | 'chrome';

export interface ParsedTrace {
  events: TraceEvent[];
  /** Records that were not trace events (or could not be read back), skipped. */
  skipped: number;
  userId: string | null;
  format: TraceFormat | null;
  /** When no event could be read: what the file is and why it cannot be read. */
  error: string | null;
}

/**
 * Read a trace file: the project's NDJSON (one event per line), a JSON array of events or
 * `{events: [...]}`, or the hub's own OTLP JSON and Chrome trace JSON exports. Records that are
 * not events are counted and skipped; a file with none says what it is instead.
 */
export function parseTraceFile(text: string): ParsedTrace {
  const trimmed = text.trim();
  if (!trimmed) return fail(null, 0, 'The file is empty.');
  let records: unknown[] = [];
  let skipped = 0;
  let format: TraceFormat;
  let userId: string | null = null;
  const whole = trimmed.startsWith('[') || (trimmed.startsWith('{') && !/\}\s*\n\s*\{/.test(trimmed)) ? tryJson(trimmed) : undefined;
  if (whole !== undefined) {
    if (isOtlp(whole)) ({ records, skipped, userId } = readOtlp(whole));
    else if (isChrome(whole)) ({ records, skipped, userId } = readChrome(whole));
    else if (Array.isArray(whole)) records = whole;
    else if (isRecord(whole) && Array.isArray(whole.events)) records = whole.events;
    else records = [whole];
    format = isOtlp(whole) ? 'otlp' : isChrome(whole) ? 'chrome' : 'json';
  } else {
    format = 'ndjson';
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end > start + 1) {
        const v = tryJson(text.slice(start, end));
        if (v === undefined) skipped++;
        else records.push(v);
      }
      start = end + 1;
    }
  }
  const events: TraceEvent[] = [];
  for (const r of records) {
    if (isEvent(r)) events.push(r);
    else skipped++;
  }
  events.sort((a, b) => a.seq - b.seq);
  userId ??= events[0]?.userId || null;
  if (events.length === 0) return fail(format, skipped, describe(trimmed, whole, format, records.length));
  return { events, skipped, userId, format, error: null };
}

function fail(format: TraceFormat | null, skipped: number, error: string): ParsedTrace {
  return { events: [], skipped, userId: null, format, error };
}

/** What a file with no readable event is, in words. */
function describe(text: string, whole: unknown, format: TraceFormat, records: number): string {
  const accepted = 'a handoff trace (.ndjson), or the hub’s OTLP JSON or Chrome trace JSON export';
  if (format === 'otlp') return `This is OTLP JSON, but none of its span events is a handoff trace event (seq, kind, type); it needs ${accepted}.`;
  if (format === 'chrome') return `This is Chrome trace JSON, but none of its slices carries a handoff trace event (args.seq and a kind); it needs ${accepted}.`;
  if (isRecord(whole)) {
    const keys = Object.keys(whole).slice(0, 6).join(', ');
    return `This is a JSON object with ${keys ? `keys ${keys}` : 'no keys'}, not a trace: it needs ${accepted}.`;
  }
  if (Array.isArray(whole)) return `This is a JSON array of ${whole.length} items, none of them a trace event (seq, ts, userId, kind, type).`;
  if (format === 'ndjson' && records > 0) return `This has ${records} JSON lines, none of them a trace event (seq, ts, userId, kind, type).`;
  const start = text.slice(0, 40).replace(/\s+/g, ' ');
  return `This is not JSON or NDJSON (it begins “${start}${text.length > 40 ? '…' : ''}”): it needs ${accepted}.`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return undefined;
  }
}

/** Kinds whose payload may be absent; every other kind's body has an object payload. */
const OPTIONAL_PAYLOAD = new Set(['presence', 'transition', 'timer.fired']);

/**
 * The envelope every trace event has. Bodies are the hub's own typed records; a file edited by
 * hand with a wrong payload is read as it is.
 */
function isEvent(v: unknown): v is TraceEvent {
  if (!isRecord(v)) return false;
  return (
    typeof v.seq === 'number' &&
    typeof v.ts === 'number' &&
    typeof v.kind === 'string' &&
    typeof v.type === 'string' &&
    typeof v.userId === 'string' &&
    (OPTIONAL_PAYLOAD.has(v.kind) || isRecord(v.payload))
  );
}

/** The project's NDJSON: one event per line, in seq order. */
export function toNdjson(events: readonly TraceEvent[]): string {
  let out = '';
  for (const e of events) out += JSON.stringify(e) + '\n';
  return out;
}

/** Save text as a file, from the browser. */
export function download(name: string, text: string, type = 'application/x-ndjson'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

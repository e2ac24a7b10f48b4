import { TraceKind } from '@handoff/protocol';

/**
 * Readers for the hub's other exports, back into trace events: OTLP JSON (every event is a span
 * event with its seq, kind, type and payload) and Chrome trace JSON (every event a slice with its
 * seq and payload in `args`). What they cannot give back (a payload cut at 8 KiB in OTLP) is
 * skipped and counted. Events come out as plain records; `trace-file.ts` checks their envelope.
 */
export interface Read {
  records: unknown[];
  skipped: number;
  userId: string | null;
}

/** The kinds an event may have: the protocol's list, not a copy of it. */
const KINDS = new Set<string>(TraceKind.options);

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export const isOtlp = (v: unknown): v is Json => isObj(v) && Array.isArray(v.resourceSpans);
export const isChrome = (v: unknown): v is Json => isObj(v) && Array.isArray(v.traceEvents);

function attrs(list: unknown): Map<string, string | number | boolean> {
  const out = new Map<string, string | number | boolean>();
  for (const kv of arr(list)) {
    if (!isObj(kv) || typeof kv.key !== 'string' || !isObj(kv.value)) continue;
    const v = kv.value;
    const value =
      typeof v.stringValue === 'string'
        ? v.stringValue
        : typeof v.intValue === 'string' || typeof v.intValue === 'number'
          ? Number(v.intValue)
          : typeof v.boolValue === 'boolean'
            ? v.boolValue
            : typeof v.doubleValue === 'number'
              ? v.doubleValue
              : undefined;
    if (value !== undefined) out.set(kv.key, value);
  }
  return out;
}

export function readOtlp(doc: Json): Read {
  const records: unknown[] = [];
  let skipped = 0;
  let userId: string | null = null;
  for (const rs of arr(doc.resourceSpans)) {
    if (!isObj(rs)) continue;
    const resource = attrs(isObj(rs.resource) ? rs.resource.attributes : undefined);
    const user = resource.get('user.id');
    if (typeof user === 'string') userId ??= user;
    for (const ss of arr(rs.scopeSpans)) {
      if (!isObj(ss)) continue;
      for (const span of arr(ss.spans)) {
        if (!isObj(span)) continue;
        const sa = attrs(span.attributes);
        const corr = sa.get('correlation.id');
        for (const ev of arr(span.events)) {
          if (!isObj(ev)) continue;
          const a = attrs(ev.attributes);
          const seq = a.get('trace.seq');
          const kind = a.get('trace.kind');
          const type = a.get('trace.type');
          if (typeof seq !== 'number' || typeof kind !== 'string' || !KINDS.has(kind) || typeof type !== 'string') {
            skipped++;
            continue;
          }
          let payload: unknown;
          const text = a.get('payload');
          if (typeof text === 'string') {
            try {
              payload = JSON.parse(text);
            } catch {
              skipped++; // cut at the export's payload limit
              continue;
            }
          }
          const device = a.get('device.id');
          const parent = a.get('trace.parent_seq');
          const from = a.get('state.from');
          const to = a.get('state.to');
          records.push({
            seq,
            ts: (typeof ev.timeUnixNano === 'string' || typeof ev.timeUnixNano === 'number' ? Number(ev.timeUnixNano) : 0) / 1e6,
            userId: userId ?? '',
            kind,
            type,
            ...(typeof device === 'string' ? { deviceId: device } : {}),
            ...(typeof corr === 'string' ? { correlationId: corr } : {}),
            ...(typeof parent === 'number' ? { parentSeq: parent } : {}),
            ...(payload !== undefined ? { payload } : {}),
            ...(typeof from === 'string' ? { from } : {}),
            ...(typeof to === 'string' ? { to } : {}),
          });
        }
      }
    }
  }
  return { records, skipped, userId };
}

export function readChrome(doc: Json): Read {
  const other = isObj(doc.otherData) ? doc.otherData : {};
  const origin = typeof other.originEpochMs === 'number' ? other.originEpochMs : 0;
  const userId = typeof other.userId === 'string' ? other.userId : null;
  const lanes = new Map<number, string>();
  const events = arr(doc.traceEvents).filter(isObj);
  for (const e of events) {
    if (e.ph !== 'M' || e.name !== 'thread_name' || typeof e.tid !== 'number' || !isObj(e.args)) continue;
    const name = e.args.name;
    if (typeof name === 'string' && name.startsWith('device ')) lanes.set(e.tid, name.slice('device '.length));
  }
  const records: unknown[] = [];
  let skipped = 0;
  for (const e of events) {
    if (e.ph !== 'X') continue;
    const args = isObj(e.args) ? e.args : {};
    const kind = e.cat;
    if (typeof kind !== 'string' || !KINDS.has(kind) || typeof args.seq !== 'number' || typeof e.name !== 'string' || typeof e.ts !== 'number') {
      skipped++;
      continue;
    }
    // Names are "→ hub <type>" / "← hub <type>" for messages, "<kind> <type>" otherwise.
    const type = kind.startsWith('message.') ? e.name.replace(/^[→←] hub /, '') : e.name.slice(kind.length + 1);
    const device = typeof e.tid === 'number' ? lanes.get(e.tid) : undefined;
    records.push({
      seq: args.seq,
      ts: origin + e.ts / 1000,
      userId: userId ?? '',
      kind,
      type,
      ...(device !== undefined ? { deviceId: device } : {}),
      ...(typeof args.correlationId === 'string' ? { correlationId: args.correlationId } : {}),
      ...(typeof args.parentSeq === 'number' ? { parentSeq: args.parentSeq } : {}),
      ...(args.payload !== undefined ? { payload: args.payload } : {}),
      ...(typeof args.from === 'string' ? { from: args.from } : {}),
      ...(typeof args.to === 'string' ? { to: args.to } : {}),
    });
  }
  return { records, skipped, userId };
}

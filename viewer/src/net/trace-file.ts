import type { TraceEvent } from '../model/types.ts';

/**
 * Read a trace file: the project's NDJSON (one event per line), or a JSON array of events, or
 * `{events: [...]}`. Lines that are not events are counted and skipped.
 */
export function parseTraceFile(text: string): { events: TraceEvent[]; skipped: number; userId: string | null } {
  const events: TraceEvent[] = [];
  let skipped = 0;
  const trimmed = text.trimStart();
  const take = (v: unknown) => {
    if (isEvent(v)) events.push(v);
    else skipped++;
  };
  if (trimmed.startsWith('[')) (JSON.parse(trimmed) as unknown[]).forEach(take);
  else if (trimmed.startsWith('{') && !trimmed.includes('\n{')) {
    const obj = JSON.parse(trimmed) as { events?: unknown[] };
    if (Array.isArray(obj.events)) obj.events.forEach(take);
    else take(obj);
  } else {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end > start + 1) {
        try {
          take(JSON.parse(text.slice(start, end)));
        } catch {
          skipped++;
        }
      }
      start = end + 1;
    }
  }
  events.sort((a, b) => a.seq - b.seq);
  return { events, skipped, userId: events[0]?.userId ?? null };
}

function isEvent(v: unknown): v is TraceEvent {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.seq === 'number' &&
    typeof e.ts === 'number' &&
    typeof e.kind === 'string' &&
    typeof e.type === 'string' &&
    typeof e.userId === 'string'
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

import type { Audible } from '@handoff/device-sim';
import type { TraceEvent } from '@handoff/protocol';

/** When a device produced sound, as [start, end) on the true clock. */
export function audibleIntervals(truth: readonly Audible[], end: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start: number | null = null;
  for (const a of truth) {
    if (a.type === 'start' && start === null) start = a.trueTime;
    else if (a.type === 'stop' && start !== null) {
      out.push([start, a.trueTime]);
      start = null;
    }
  }
  if (start !== null) out.push([start, end]);
  return out;
}

/** The longest stretch during which two of these devices were audible at once, and when. */
export function worstOverlap(devices: ReadonlyArray<{ id: string; truth: readonly Audible[] }>, end: number): { ms: number; between?: [string, string]; at?: number } {
  const intervals = devices.map((d) => ({ id: d.id, spans: audibleIntervals(d.truth, end) }));
  let worst: { ms: number; between?: [string, string]; at?: number } = { ms: 0 };
  for (let i = 0; i < intervals.length; i++) {
    for (let j = i + 1; j < intervals.length; j++) {
      for (const [a0, a1] of intervals[i]!.spans) {
        for (const [b0, b1] of intervals[j]!.spans) {
          const ms = Math.min(a1, b1) - Math.max(a0, b0);
          if (ms > worst.ms) worst = { ms, between: [intervals[i]!.id, intervals[j]!.id], at: Math.max(a0, b0) };
        }
      }
    }
  }
  return worst;
}

/** Transfers that began (prepare) and never reached an outcome (committed or rolled back). */
export function unresolvedTransfers(events: readonly TraceEvent[]): string[] {
  const begun = new Set<string>();
  for (const e of events) {
    if (e.kind !== 'transfer.phase' || !e.correlationId) continue;
    if (e.type === 'prepare') begun.add(e.correlationId);
    if (e.type === 'committed' || e.type === 'rolled-back') begun.delete(e.correlationId);
  }
  return [...begun];
}

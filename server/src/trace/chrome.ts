import type { TraceEvent } from '@handoff/protocol';
import { groupByOperation, transferMilestones } from './groups.ts';
import { redactValue } from './redact.ts';

/**
 * Chrome trace-event JSON, which Perfetto and chrome://tracing open: one process for the user, a
 * track (thread) for the hub and one per device; every trace event a short slice on its track
 * (messages on the device's track); each transfer and its phases as async slices on a transfers
 * track; flow arrows following each transfer's messages across tracks in seq order.
 * Timestamps are microseconds since the first event (the epoch origin is in `otherData`).
 */
export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string | number>;
}

export interface ChromeEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  id?: string;
  bp?: 'e';
  args?: Record<string, unknown>;
}

const PID = 1;
const HUB_TID = 1;
/** Longest a point event's slice is drawn (µs); shorter when the next event on the track comes sooner. */
const SLICE_US = 20;

export function toChrome(userId: string, events: readonly TraceEvent[]): ChromeTrace {
  const origin = events[0]?.ts ?? 0;
  const us = (ms: number) => Math.round((ms - origin) * 1000 * 1000) / 1000;
  const lanes = new Map<string, number>([['hub', HUB_TID]]);
  for (const e of events) if (e.deviceId && !lanes.has(e.deviceId)) lanes.set(e.deviceId, lanes.size + 1);
  const transfersTid = lanes.size + 1;
  const out: ChromeEvent[] = [{ name: 'process_name', ph: 'M', pid: PID, tid: 0, args: { name: `user ${userId}` } }];
  for (const [lane, tid] of lanes) {
    out.push({ name: 'thread_name', ph: 'M', pid: PID, tid, args: { name: lane === 'hub' ? 'hub' : `device ${lane}` } });
    out.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid, args: { sort_index: tid } });
  }
  out.push({ name: 'thread_name', ph: 'M', pid: PID, tid: transfersTid, args: { name: 'transfers' } });
  out.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid: transfersTid, args: { sort_index: transfersTid } });

  // Point slices, sized so that two on one track never overlap.
  const tidOf = (e: TraceEvent) => lanes.get(e.deviceId ?? 'hub')!;
  const nextOnTrack = new Map<number, number>();
  const slices = new Map<number, { ts: number; tid: number }>();
  const points: ChromeEvent[] = [];
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    const tid = tidOf(e);
    const ts = us(e.ts);
    const next = nextOnTrack.get(tid);
    const dur = next === undefined ? SLICE_US : Math.max(0, Math.min(SLICE_US, (next - ts) * 0.9));
    nextOnTrack.set(tid, ts);
    slices.set(e.seq, { ts, tid });
    points.push({
      name: e.kind.startsWith('message.') ? `${e.kind === 'message.in' ? '→ hub' : '← hub'} ${e.type}` : `${e.kind} ${e.type}`,
      ph: 'X',
      pid: PID,
      tid,
      ts,
      dur: Math.round(dur * 1000) / 1000,
      cat: e.kind,
      args: {
        seq: e.seq,
        ...(e.correlationId !== undefined ? { correlationId: e.correlationId } : {}),
        ...(e.recipients !== undefined ? { recipients: e.recipients } : {}),
        ...(e.parentSeq !== undefined ? { parentSeq: e.parentSeq } : {}),
        ...(e.kind === 'transition' ? { from: e.from, to: e.to } : {}),
        ...(e.payload !== undefined ? { payload: redactValue(e.payload) } : {}),
      },
    });
  }
  out.push(...points.reverse());

  for (const op of groupByOperation(events).operations) {
    if (op.kind !== 'transfer') continue;
    const id = op.correlationId;
    const m = transferMilestones(op);
    const async = (name: string, start: number, end: number, args: Record<string, unknown> = {}) => {
      out.push({ name, ph: 'b', cat: 'transfer', id, pid: PID, tid: transfersTid, ts: us(start), args });
      out.push({ name, ph: 'e', cat: 'transfer', id, pid: PID, tid: transfersTid, ts: us(Math.max(start, end)) });
    };
    async(`transfer ${op.targetId ? `to ${op.targetId}` : id}`, op.start, op.end, {
      transferId: id,
      outcome: op.outcome,
      ...(op.message ? { message: op.message } : {}),
    });
    if (m.prepare !== undefined) async('prepare', m.prepare, m.ready ?? m.end ?? op.end);
    if (m.scheduled !== undefined)
      async('switch', m.scheduled, m.end ?? op.end, m.switchAt !== undefined ? { atServerTime: m.switchAt } : {});

    // One flow through the transfer's messages, hub phases included, in seq order.
    const steps = op.events.filter((e) => e.kind.startsWith('message.') || e.kind === 'transfer.phase');
    steps.forEach((e, i) => {
      const slice = slices.get(e.seq)!;
      const ph = i === 0 ? 's' : i === steps.length - 1 ? 'f' : 't';
      if (steps.length < 2) return;
      out.push({ name: 'transfer', ph, cat: 'transfer.flow', id, pid: PID, tid: slice.tid, ts: slice.ts, bp: 'e' });
    });
  }

  return {
    traceEvents: out,
    displayTimeUnit: 'ms',
    otherData: { userId, originEpochMs: origin, events: events.length, format: 'handoff-trace' },
  };
}

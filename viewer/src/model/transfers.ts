import type { TraceEvent } from './types.ts';

/** One transfer as the trace tells it, with its milestones in server time. */
export interface Transfer {
  id: string;
  commandId: string | null;
  targetId: string | null;
  sourceId: string | null;
  play: boolean | null;
  firstSeq: number;
  lastSeq: number;
  start: number;
  /** Time of its latest event. */
  lastTs: number;
  /** The target must be ready by then. */
  prepareDeadline: number | null;
  /** The target must confirm the switch by then. */
  switchDeadline: number | null;
  ready: number | null;
  scheduled: number | null;
  /** When the switch was scheduled to happen. */
  switchAt: number | null;
  started: number | null;
  /** When the target says sound really started (its estimate of server time). */
  startedReported: number | null;
  /** Each device that reported its start (every member, for a group), by id: its reported server time. */
  startsReported: Record<string, number>;
  end: number | null;
  outcome: 'committed' | 'rolled-back' | 'pending';
  code: string | null;
  message: string | null;
  seqs: number[];
}

export interface Phase {
  name: string;
  ms: number;
  hint: string;
}

/** The per-phase breakdown: prepare, ready -> scheduled, lead to the switch, switch -> confirmed, commit. */
export function phasesOf(t: Transfer): Phase[] {
  const out: Phase[] = [];
  const add = (name: string, a: number | null, b: number | null, hint: string) => {
    if (a !== null && b !== null) out.push({ name, ms: b - a, hint });
  };
  add('prepare', t.start, t.ready, 'target loads and buffers');
  add('schedule', t.ready, t.scheduled, 'hub schedules the switch');
  add('lead', t.scheduled, t.switchAt, 'until the switch time T');
  add('confirm', t.switchAt, t.started, 'T until the target says it started');
  add('commit', t.started ?? (t.switchAt === null ? t.ready : null), t.end, 'hub commits and pushes');
  return out;
}

/** Measured gap at the switch: when the target started (its own report) minus T, when the source stopped. */
export function gapOf(t: Transfer): number | null {
  return t.startedReported !== null && t.switchAt !== null ? t.startedReported - t.switchAt : null;
}

/** Each reporting device's start error at T (reported start minus T), for a group transfer's members. */
export function startErrorsOf(t: Transfer): Array<{ deviceId: string; ms: number }> {
  if (t.switchAt === null) return [];
  const at = t.switchAt;
  return Object.entries(t.startsReported).map(([deviceId, reported]) => ({ deviceId, ms: reported - at }));
}

export const durationOf = (t: Transfer) => (t.end ?? t.lastTs) - t.start;

type P = Record<string, unknown>;

/** Transfers, built up event by event. */
export class TransferIndex {
  readonly byId = new Map<string, Transfer>();
  readonly order: string[] = [];
  /** Transfers with no outcome yet. */
  readonly pending = new Map<string, Transfer>();
  private current: string | null = null;

  apply(e: TraceEvent): void {
    const p = (e.payload ?? {}) as P;
    if (e.kind === 'transfer.phase' && e.type === 'prepare' && e.correlationId) {
      const t: Transfer = {
        id: e.correlationId,
        commandId: typeof p.commandId === 'string' ? p.commandId : null,
        targetId: typeof p.targetId === 'string' ? p.targetId : (e.deviceId ?? null),
        sourceId: typeof p.sourceId === 'string' ? p.sourceId : null,
        play: typeof p.play === 'boolean' ? p.play : null,
        firstSeq: e.seq,
        lastSeq: e.seq,
        start: e.ts,
        lastTs: e.ts,
        prepareDeadline: null,
        switchDeadline: null,
        ready: null,
        scheduled: null,
        switchAt: null,
        started: null,
        startedReported: null,
        startsReported: {},
        end: null,
        outcome: 'pending',
        code: null,
        message: null,
        seqs: [],
      };
      this.byId.set(t.id, t);
      this.order.push(t.id);
      this.pending.set(t.id, t);
      this.current = t.id;
    }
    // Deadlines are armed as the transfer's timers (their correlation is the cause's, so go by the current transfer).
    if (e.kind === 'timer.armed' && this.current && (e.type === 'prepare' || e.type === 'switch')) {
      const t = this.byId.get(this.current)!;
      if (e.type === 'prepare') t.prepareDeadline = Number(p.at);
      else t.switchDeadline = Number(p.at);
    }
    const t = e.correlationId ? this.byId.get(e.correlationId) : undefined;
    if (!t) return;
    t.seqs.push(e.seq);
    t.lastSeq = e.seq;
    t.lastTs = e.ts;
    if (e.kind === 'message.out' && p.type === 'transfer.prepare' && typeof p.deadline === 'number')
      t.prepareDeadline ??= p.deadline;
    if (e.kind === 'message.in' && e.type === 'transfer.ready') t.ready ??= e.ts;
    if (e.kind === 'message.in' && e.type === 'transfer.started') {
      t.started ??= e.ts;
      if (typeof p.atServerTime === 'number') {
        t.startedReported ??= p.atServerTime;
        if (e.deviceId) t.startsReported[e.deviceId] = p.atServerTime;
      }
    }
    if (e.kind === 'transfer.phase' && e.type === 'switch-scheduled') {
      t.scheduled ??= e.ts;
      if (typeof p.atServerTime === 'number') t.switchAt ??= p.atServerTime;
    }
    if (e.kind === 'transfer.phase' && (e.type === 'committed' || e.type === 'rolled-back')) {
      t.end = e.ts;
      t.outcome = e.type;
      this.pending.delete(t.id);
      if (e.type === 'rolled-back') {
        t.code = typeof p.code === 'string' ? p.code : null;
        t.message = typeof p.message === 'string' ? p.message : null;
      }
      if (this.current === t.id) this.current = null;
    }
  }

  /** Transfers the given command started (a command id -> transfer id). */
  byCommand(commandId: string): Transfer | undefined {
    for (const id of this.order) {
      const t = this.byId.get(id)!;
      if (t.commandId === commandId) return t;
    }
    return undefined;
  }
}

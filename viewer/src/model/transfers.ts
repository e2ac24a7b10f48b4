import type { ErrorCode, TraceEvent } from './types.ts';

export type Outcome = 'committed' | 'rolled-back' | 'refused' | 'pending';

/** One transfer as the trace tells it, with its milestones in server time. */
export interface Transfer {
  /** The transfer id; for a command refused before prepare, the command id. */
  id: string;
  commandId: string | null;
  targetId: string | null;
  sourceId: string | null;
  play: boolean | null;
  firstSeq: number;
  lastSeq: number;
  start: number;
  /** Time of its latest event up to the outcome. */
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
  /** The outcome's time: committed, rolled back, or refused. */
  end: number | null;
  /** The seq of the outcome event. */
  endSeq: number | null;
  outcome: Outcome;
  code: ErrorCode | null;
  message: string | null;
  /** Its events up to the outcome (events after it, such as a late ready, are not its history). */
  seqs: number[];
  /** Events of this transfer that came after its outcome. */
  lateSeqs: number[];
}

export type PhaseName = 'prepare' | 'schedule' | 'lead' | 'confirm' | 'commit';

export interface Phase {
  name: PhaseName;
  ms: number;
  hint: string;
}

const HINT: Record<PhaseName, string> = {
  prepare: 'target loads and buffers',
  schedule: 'hub schedules the switch',
  lead: 'until the switch time T',
  confirm: 'T until the target says it started',
  commit: 'hub commits and pushes',
};

/** The milestones in order, each ending the phase named with it. */
const MILESTONES = [
  ['ready', 'prepare'],
  ['scheduled', 'schedule'],
  ['switchAt', 'lead'],
  ['started', 'confirm'],
] as const;

/**
 * The per-phase breakdown, ending at the outcome: each milestone reached before the outcome ends
 * its phase, and the last phase runs to the outcome (for a rollback: the phase it failed in).
 * Phases never overlap and add up to the transfer's duration; a planned time past the outcome
 * (a switch time T after a rollback) is not counted.
 */
export function phasesOf(t: Transfer, now = t.lastTs): Phase[] {
  if (t.outcome === 'refused') return [];
  const end = t.end ?? Math.max(now, t.lastTs);
  const out: Phase[] = [];
  let from = t.start;
  let next: PhaseName = 'prepare';
  for (let i = 0; i < MILESTONES.length; i++) {
    const [key, name] = MILESTONES[i]!;
    const at = t[key];
    if (at === null || at > end) break;
    const to = Math.max(from, at);
    out.push({ name, ms: to - from, hint: HINT[name] });
    from = to;
    // A paused transfer commits once the target is ready, with no switch.
    const noSwitch = key === 'ready' && t.outcome === 'committed' && t.scheduled === null;
    next = noSwitch ? 'commit' : (MILESTONES[i + 1]?.[1] ?? 'commit');
  }
  out.push({ name: next, ms: end - from, hint: HINT[next] });
  return out;
}

/** The phase a transfer ended in (its last phase), for "rolled back at +X ms in <phase>". */
export function failedPhase(t: Transfer): PhaseName | null {
  return t.outcome === 'rolled-back' ? (phasesOf(t).at(-1)?.name ?? 'prepare') : null;
}

/** One line on how it ended: "committed in 420 ms", "rolled back at +5000 ms in prepare: TRANSFER_TIMEOUT". */
export function outcomeText(t: Transfer, fmt: (ms: number) => string): string {
  const d = durationOf(t);
  switch (t.outcome) {
    case 'committed':
      return `committed in ${fmt(d)}`;
    case 'rolled-back':
      return `rolled back at +${fmt(d)} in ${failedPhase(t)}: ${t.code ?? 'unknown'}`;
    case 'refused':
      return `refused before prepare: ${t.code ?? 'unknown'}`;
    case 'pending':
      return `pending for ${fmt(d)}`;
  }
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

function blank(id: string, e: TraceEvent): Transfer {
  return {
    id,
    commandId: null,
    targetId: null,
    sourceId: null,
    play: null,
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
    endSeq: null,
    outcome: 'pending',
    code: null,
    message: null,
    seqs: [e.seq],
    lateSeqs: [],
  };
}

/** Transfers, built up event by event; commands to transfer that were refused before prepare too. */
export class TransferIndex {
  readonly byId = new Map<string, Transfer>();
  readonly order: string[] = [];
  /** Transfers with no outcome yet. */
  readonly pending = new Map<string, Transfer>();
  /** Transfer commands not yet answered or prepared: command id -> the command's event. */
  private readonly asked = new Map<string, { seq: number; ts: number; targetId: string | null; play: boolean | null }>();
  private readonly byCommandId = new Map<string, string>();
  private current: string | null = null;

  apply(e: TraceEvent): void {
    if (e.kind === 'message.in' && e.payload.type === 'command.transfer') {
      this.asked.set(e.payload.commandId, { seq: e.seq, ts: e.ts, targetId: e.payload.deviceId, play: e.payload.play ?? null });
      if (this.asked.size > 1000) this.asked.delete(this.asked.keys().next().value!);
    }
    if (e.kind === 'command.result' && !e.payload.ok && this.asked.has(e.payload.commandId) && !this.byCommandId.has(e.payload.commandId)) {
      // Refused before any prepare: no transfer id, so it is listed under its command.
      const asked = this.asked.get(e.payload.commandId)!;
      this.asked.delete(e.payload.commandId);
      const t = blank(e.payload.commandId, { ...e, seq: asked.seq, ts: asked.ts });
      Object.assign(t, { commandId: e.payload.commandId, targetId: asked.targetId, play: asked.play });
      t.seqs.push(e.seq);
      this.finish(t, e, 'refused', e.payload.code, e.payload.message);
      this.byId.set(t.id, t);
      this.order.push(t.id);
      return;
    }
    if (e.kind === 'command.result') this.asked.delete(e.payload.commandId);
    if (e.kind === 'transfer.phase' && e.type === 'prepare' && e.correlationId) {
      const t = blank(e.correlationId, e);
      t.seqs = [];
      const { commandId } = e.payload;
      Object.assign(t, { commandId: commandId ?? null, targetId: e.payload.targetId, sourceId: e.payload.sourceId ?? null, play: e.payload.play });
      if (commandId !== undefined) {
        this.asked.delete(commandId);
        this.byCommandId.set(commandId, t.id);
      }
      this.byId.set(t.id, t);
      this.order.push(t.id);
      this.pending.set(t.id, t);
      this.current = t.id;
    }
    // Deadlines are armed as the transfer's timers (their correlation is the cause's, so go by the current transfer).
    if (e.kind === 'timer.armed' && this.current && (e.type === 'prepare' || e.type === 'switch')) {
      const t = this.byId.get(this.current)!;
      if (e.type === 'prepare') t.prepareDeadline = e.payload.at;
      else t.switchDeadline = e.payload.at;
    }
    const t = e.correlationId ? this.byId.get(e.correlationId) : undefined;
    if (!t || t.outcome === 'refused') return;
    if (t.end !== null) {
      t.lateSeqs.push(e.seq);
      return;
    }
    t.seqs.push(e.seq);
    t.lastSeq = e.seq;
    t.lastTs = e.ts;
    if (e.kind === 'message.out' && e.payload.type === 'transfer.prepare') t.prepareDeadline ??= e.payload.deadline;
    if (e.kind === 'message.in' && e.payload.type === 'transfer.ready') t.ready ??= e.ts;
    if (e.kind === 'message.in' && e.payload.type === 'transfer.started') {
      t.started ??= e.ts;
      if (e.payload.atServerTime !== undefined) {
        t.startedReported ??= e.payload.atServerTime;
        if (e.deviceId) t.startsReported[e.deviceId] = e.payload.atServerTime;
      }
    }
    if (e.kind === 'transfer.phase' && e.type === 'switch-scheduled') {
      t.scheduled ??= e.ts;
      t.switchAt ??= e.payload.atServerTime;
    }
    if (e.kind === 'transfer.phase' && e.type === 'committed') this.finish(t, e, 'committed', null, null);
    if (e.kind === 'transfer.phase' && e.type === 'rolled-back') this.finish(t, e, 'rolled-back', e.payload.code, e.payload.message);
  }

  /** Past the view's cap: forget finished transfers whose events all are at or before `throughSeq` (pending ones stay). */
  forget(throughSeq: number): void {
    if (!this.order.length || this.byId.get(this.order[0]!)!.lastSeq > throughSeq) return;
    const kept: string[] = [];
    for (const id of this.order) {
      const t = this.byId.get(id)!;
      if (t.outcome === 'pending' || t.lastSeq > throughSeq) kept.push(id);
      else {
        this.byId.delete(id);
        if (t.commandId !== null) this.byCommandId.delete(t.commandId);
      }
    }
    this.order.length = 0;
    for (const id of kept) this.order.push(id);
  }

  /** The transfer a command started (or the refusal listed under it). */
  byCommand(commandId: string): Transfer | undefined {
    const id = this.byCommandId.get(commandId) ?? commandId;
    return this.byId.get(id);
  }

  private finish(t: Transfer, e: TraceEvent, outcome: Outcome, code: ErrorCode | null, message: string | null): void {
    t.end = e.ts;
    t.endSeq = e.seq;
    t.lastSeq = e.seq;
    t.lastTs = e.ts;
    t.outcome = outcome;
    t.code = code;
    t.message = message;
    this.pending.delete(t.id);
    if (this.current === t.id) this.current = null;
  }
}

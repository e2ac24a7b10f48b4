import type { Transfer, TransferIndex } from './transfers.ts';
import type { TraceEvent } from './types.ts';
import type { World } from './world.ts';

/**
 * What went wrong, each linked to its event: failures the hub reported (a rolled-back transfer, a
 * refused command, an error sent to a device, a device that vanished without saying goodbye) and
 * invariants the trace shows broken (two devices playing, a transfer with no outcome past its
 * deadline, a stale revision sent, a silent device).
 */
export type ProblemKind =
  | 'rolled-back'
  | 'refused'
  | 'error'
  | 'disconnect'
  | 'silent'
  | 'double-play'
  | 'no-outcome'
  | 'stale-revision';

export interface Problem {
  seq: number;
  ts: number;
  kind: ProblemKind;
  message: string;
  deviceIds: string[];
  correlationId?: string;
}

export const PROBLEM_LABEL: Record<ProblemKind, string> = {
  'rolled-back': 'transfer rolled back',
  refused: 'command refused',
  error: 'error',
  disconnect: 'unexpected disconnect',
  silent: 'device silent',
  'double-play': 'two devices playing',
  'no-outcome': 'transfer without outcome',
  'stale-revision': 'stale revision',
};

/** How late past its deadline a transfer may still resolve before it is flagged. */
const DEADLINE_SLACK_MS = 250;
const HEARTBEAT_TIMEOUT = 4014;

/** Problems, found event by event. */
export class ProblemDetector {
  readonly list: Problem[] = [];
  readonly bySeq = new Map<number, Problem[]>();
  private playingTogether = false;
  private readonly revisionSent = new Map<string, number>();
  private readonly flagged = new Set<string>();

  /** Check the world right after `e` was applied. */
  check(e: TraceEvent, w: World, transfers: TransferIndex): void {
    const playing = Object.values(w.devices).filter((d) => d.playing);
    // Members of one group sounding together are one player, not two devices playing.
    const groupOf = (id: string) => w.cluster?.groups?.find((g) => g.deviceIds.includes(id))?.id ?? id;
    const players = new Set(playing.map((d) => groupOf(d.id))).size;
    if (players > 1 && !this.playingTogether) {
      this.add(
        e,
        'double-play',
        `${playing.map((d) => d.name).join(' and ')} play at once`,
        playing.map((d) => d.id),
      );
    }
    this.playingTogether = players > 1;
    const device = e.deviceId ? [e.deviceId] : [];

    switch (e.kind) {
      case 'message.out': {
        const m = e.payload;
        if (m.type !== 'cluster.update' && m.type !== 'hub.welcome') break;
        const revision = m.cluster.revision;
        // A push names its recipients; any other message its one device.
        for (const id of e.recipients ?? (e.deviceId ? [e.deviceId] : [])) {
          const before = this.revisionSent.get(id) ?? -1;
          if (revision < before && m.type === 'cluster.update') this.add(e, 'stale-revision', `${id} was sent revision ${revision} after ${before}`, [id]);
          this.revisionSent.set(id, Math.max(before, revision));
        }
        break;
      }
      case 'transfer.phase':
        if (e.type === 'rolled-back') {
          const t = e.correlationId ? transfers.byId.get(e.correlationId) : undefined;
          const where = t ? ` after ${Math.round(e.ts - t.start)} ms` : '';
          this.add(e, 'rolled-back', `${e.payload.code}${where}: ${e.payload.message}`, device, e.correlationId);
        }
        break;
      case 'command.result': {
        const r = e.payload;
        if (r.ok) break;
        // A failed transfer is told once, by its rollback.
        const t = transfers.byCommand(r.commandId);
        if (t && t.outcome === 'rolled-back') break;
        this.add(e, 'refused', `${e.type}: ${r.message}`, device, r.commandId);
        break;
      }
      case 'error':
        this.add(e, 'error', 'message' in e.payload ? `${e.type}: ${e.payload.message}` : `${e.type} (${e.payload.event})`, device);
        break;
      case 'presence':
        if (e.type === 'silent') {
          this.add(e, 'silent', `${e.deviceId ?? '?'} silent for ${Math.round(e.payload.silentMs)} ms (past its heartbeat)`, device);
        } else if (e.type === 'disconnected') {
          this.add(e, 'disconnect', `${e.deviceId ?? '?'} disconnected without a goodbye (grace period started)`, device);
        }
        break;
      case 'connection':
        if (e.type === 'closed' && e.payload.code === HEARTBEAT_TIMEOUT && e.deviceId) {
          this.add(e, 'silent', `${e.deviceId} disconnected: no heartbeat`, device);
        }
        break;
      default:
        break;
    }
    this.checkDeadlines(e, e.ts, transfers.pending.values());
  }

  /** Past the view's cap: forget problems at or before `throughSeq` (their events are gone too). */
  forget(throughSeq: number, pending: ReadonlyMap<string, unknown>): void {
    let cut = 0;
    while (cut < this.list.length && this.list[cut]!.seq <= throughSeq) this.bySeq.delete(this.list[cut++]!.seq);
    this.list.splice(0, cut);
    for (const id of this.flagged) if (!pending.has(id)) this.flagged.delete(id);
  }

  /** Transfers still pending past their deadline at `now` (the latest event, or the live clock). */
  checkDeadlines(at: { seq: number; ts: number }, now: number, pending: Iterable<Transfer>): void {
    for (const t of pending) {
      if (t.outcome !== 'pending' || this.flagged.has(t.id)) continue;
      const deadline = t.switchDeadline ?? t.prepareDeadline;
      if (deadline === null || now <= deadline + DEADLINE_SLACK_MS) continue;
      this.flagged.add(t.id);
      this.add(
        at,
        'no-outcome',
        `transfer ${t.id} to ${t.targetId ?? '?'} has no outcome ${Math.round(now - deadline)} ms past its deadline`,
        t.targetId ? [t.targetId] : [],
        t.id,
      );
    }
  }

  private add(
    at: { seq: number; ts: number },
    kind: ProblemKind,
    message: string,
    deviceIds: string[],
    correlationId?: string,
  ): void {
    const a: Problem = { seq: at.seq, ts: at.ts, kind, message, deviceIds, ...(correlationId ? { correlationId } : {}) };
    this.list.push(a);
    const list = this.bySeq.get(a.seq);
    if (list) list.push(a);
    else this.bySeq.set(a.seq, [a]);
  }
}

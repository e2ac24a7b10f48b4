import type { Transfer } from './transfers.ts';
import type { TraceEvent } from './types.ts';
import type { World } from './world.ts';

export type AnomalyKind = 'double-play' | 'no-outcome' | 'stale-revision' | 'silent';

export interface Anomaly {
  seq: number;
  ts: number;
  kind: AnomalyKind;
  message: string;
  deviceIds: string[];
  correlationId?: string;
}

export const ANOMALY_LABEL: Record<AnomalyKind, string> = {
  'double-play': 'two devices playing',
  'no-outcome': 'transfer without outcome',
  'stale-revision': 'stale revision',
  silent: 'device silent',
};

/** How late past its deadline a transfer may still resolve before it is flagged. */
const DEADLINE_SLACK_MS = 250;
const HEARTBEAT_TIMEOUT = 4014;

/** Invariants a handoff must keep, checked event by event. */
export class AnomalyDetector {
  readonly list: Anomaly[] = [];
  readonly bySeq = new Map<number, Anomaly[]>();
  private playingTogether = false;
  private readonly revisionSent = new Map<string, number>();
  private readonly flagged = new Set<string>();

  /** Check the world right after `e` was applied. */
  check(e: TraceEvent, w: World, pending: Iterable<Transfer>): void {
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

    const p = (e.payload ?? {}) as { type?: string; cluster?: { revision?: number }; code?: number; silentMs?: number };
    const revision = p.cluster?.revision;
    if (e.kind === 'message.out' && (p.type === 'cluster.update' || p.type === 'hub.welcome') && typeof revision === 'number') {
      // A push names its recipients; any other message its one device.
      for (const deviceId of e.recipients ?? (e.deviceId ? [e.deviceId] : [])) {
        const before = this.revisionSent.get(deviceId) ?? -1;
        if (revision < before && p.type === 'cluster.update') {
          this.add(e, 'stale-revision', `${deviceId} was sent revision ${revision} after ${before}`, [deviceId]);
        }
        this.revisionSent.set(deviceId, Math.max(before, revision));
      }
    }
    if (e.kind === 'presence' && e.type === 'silent' && e.deviceId) {
      this.add(e, 'silent', `${e.deviceId} silent for ${Math.round(p.silentMs ?? 0)} ms (past its heartbeat)`, [e.deviceId]);
    }
    if (e.kind === 'connection' && e.type === 'closed' && p.code === HEARTBEAT_TIMEOUT && e.deviceId) {
      this.add(e, 'silent', `${e.deviceId} disconnected: no heartbeat`, [e.deviceId]);
    }
    this.checkDeadlines(e, e.ts, pending);
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
    kind: AnomalyKind,
    message: string,
    deviceIds: string[],
    correlationId?: string,
  ): void {
    const a: Anomaly = { seq: at.seq, ts: at.ts, kind, message, deviceIds, ...(correlationId ? { correlationId } : {}) };
    this.list.push(a);
    const list = this.bySeq.get(a.seq);
    if (list) list.push(a);
    else this.bySeq.set(a.seq, [a]);
  }
}

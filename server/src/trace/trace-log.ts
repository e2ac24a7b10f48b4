import { randomUUID } from 'node:crypto';
import type { TraceBaseline, TraceEvent, TraceNote } from '@handoff/protocol';
import { emptyBaseline, foldBaseline } from './baseline.ts';

export interface TraceSettings {
  /** Events kept per user. @default 5000 */
  maxEventsPerUser: number;
  /** Events older than this are dropped. @default 3_600_000 (one hour) */
  maxAgeMs: number;
  /** Bytes (estimated) kept across all users. @default 64 MiB */
  maxBytes: number;
}

export const DEFAULT_TRACE_SETTINGS: TraceSettings = {
  maxEventsPerUser: 5000,
  maxAgeMs: 3_600_000,
  maxBytes: 64 * 1024 * 1024,
};

export type TraceInput = TraceNote & { size?: number };

type Listener = (event: TraceEvent) => void;

interface Ring {
  events: TraceEvent[];
  sizes: number[];
  head: number;
  bytes: number;
  seq: number;
  /** What the evicted events said: the state right before the oldest event held. */
  baseline: TraceBaseline;
  listeners: Set<Listener>;
}

/**
 * Every user's recent trace events, in a bounded ring per user under a global byte budget.
 * Recording is a push onto an array; nothing is serialized unless someone reads.
 */
export class TraceLog {
  private readonly rings = new Map<string, Ring>();
  private bytes = 0;

  constructor(
    private readonly now: () => number,
    private readonly settings: TraceSettings = DEFAULT_TRACE_SETTINGS,
    /** This log's life: seqs of two boots are never comparable (a restart numbers from 1 again). */
    readonly bootId: string = randomUUID(),
  ) {}

  record(userId: string, input: TraceInput): TraceEvent {
    const ring = this.ring(userId);
    const { size = 200, ...rest } = input;
    const event: TraceEvent = { seq: ++ring.seq, ts: this.now(), userId, ...rest };
    ring.events.push(event);
    ring.sizes.push(size);
    ring.bytes += size;
    this.bytes += size;
    this.trim(ring, event.ts);
    for (const listener of ring.listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener must never break the session that produced the event.
        ring.listeners.delete(listener);
      }
    }
    return event;
  }

  /**
   * Many nodes: go on numbering the user's events after `seq`, the last one another node stored.
   * Seqs in a ring stay consecutive, so a ring that would skip ahead is emptied first.
   */
  continueAfter(userId: string, seq: number): void {
    const ring = this.ring(userId);
    if (seq <= ring.seq) return;
    this.bytes -= ring.bytes;
    ring.events = [];
    ring.sizes = [];
    ring.head = 0;
    ring.bytes = 0;
    ring.seq = seq;
    ring.baseline = { ...emptyBaseline(), throughSeq: seq };
  }

  /**
   * Many nodes: forget what the ring holds of the user, numbering included (a copy of another
   * node's trace, about to be read again from the stream, whose numbering may have begun anew).
   */
  restart(userId: string): void {
    const ring = this.rings.get(userId);
    if (!ring) return;
    this.bytes -= ring.bytes;
    ring.events = [];
    ring.sizes = [];
    ring.head = 0;
    ring.bytes = 0;
    ring.seq = 0;
    ring.baseline = emptyBaseline();
  }

  /** Many nodes: an event another node recorded, kept with its seq and time (one already held is skipped). */
  ingest(event: TraceEvent, size = 200): void {
    const ring = this.ring(event.userId);
    if (event.seq <= ring.seq) return;
    this.continueAfter(event.userId, event.seq - 1);
    ring.seq = event.seq;
    ring.events.push(event);
    ring.sizes.push(size);
    ring.bytes += size;
    this.bytes += size;
    this.trim(ring, this.now());
    for (const listener of ring.listeners) {
      try {
        listener(event);
      } catch {
        ring.listeners.delete(listener);
      }
    }
  }

  /** Events of a user with seq > sinceSeq, oldest first; at most `limit` of them. */
  read(userId: string, sinceSeq = 0, limit = Infinity): TraceEvent[] {
    const ring = this.rings.get(userId);
    if (!ring) return [];
    this.trim(ring, this.now());
    const oldest = ring.events[ring.head];
    if (!oldest) return [];
    // Seqs in a ring are consecutive, so the first wanted event is found by arithmetic.
    const start = ring.head + Math.max(0, sinceSeq + 1 - oldest.seq);
    return ring.events.slice(start, Math.min(ring.events.length, start + limit));
  }

  /** The sequence number of the user's latest event (0 when none). */
  lastSeq(userId: string): number {
    return this.rings.get(userId)?.seq ?? 0;
  }

  /** The oldest seq still held for the user (lastSeq + 1 when none is). */
  firstSeq(userId: string): number {
    const ring = this.rings.get(userId);
    if (!ring) return 1;
    this.trim(ring, this.now());
    return ring.events[ring.head]?.seq ?? ring.seq + 1;
  }

  /** The state of every device right before the oldest event still held (see `foldBaseline`). */
  baseline(userId: string): TraceBaseline {
    const ring = this.rings.get(userId);
    if (!ring) return emptyBaseline();
    this.trim(ring, this.now());
    return structuredClone(ring.baseline);
  }

  subscribe(userId: string, listener: Listener): () => void {
    const ring = this.ring(userId);
    ring.listeners.add(listener);
    return () => ring.listeners.delete(listener);
  }

  hasListeners(userId: string): boolean {
    return (this.rings.get(userId)?.listeners.size ?? 0) > 0;
  }

  private ring(userId: string): Ring {
    let ring = this.rings.get(userId);
    if (!ring) {
      ring = { events: [], sizes: [], head: 0, bytes: 0, seq: 0, baseline: emptyBaseline(), listeners: new Set() };
      this.rings.set(userId, ring);
    }
    return ring;
  }

  private trim(ring: Ring, now: number): void {
    const share = this.settings.maxBytes / Math.max(1, this.rings.size);
    while (ring.head < ring.events.length) {
      const oldest = ring.events[ring.head]!;
      const tooMany = ring.events.length - ring.head > this.settings.maxEventsPerUser;
      const tooOld = now - oldest.ts > this.settings.maxAgeMs;
      const overBudget = this.bytes > this.settings.maxBytes && ring.bytes > share;
      if (!tooMany && !tooOld && !overBudget) break;
      const size = ring.sizes[ring.head]!;
      foldBaseline(ring.baseline, oldest);
      ring.bytes -= size;
      this.bytes -= size;
      ring.head++;
    }
    // Compact now and then so the arrays do not grow without bound.
    if (ring.head > 1024 && ring.head > ring.events.length / 2) {
      ring.events = ring.events.slice(ring.head);
      ring.sizes = ring.sizes.slice(ring.head);
      ring.head = 0;
    }
  }
}

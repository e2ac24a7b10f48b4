import { randomUUID } from 'node:crypto';
import type { TraceBaseline, TraceEvent, TraceNote } from '@handoff/protocol';
import { emptyBaseline } from './baseline.ts';
import { redactJson } from './redact.ts';
import { TraceRing } from './trace-ring.ts';

export interface TraceSettings {
  /** Events kept per user. @default 5000 */
  maxEventsPerUser: number;
  /** Events older than this are dropped. @default 3_600_000 (one hour) */
  maxAgeMs: number;
  /** Bytes kept across all users, as the rings estimate them (`trace-ring.ts`). @default 64 MiB */
  maxBytes: number;
}

export const DEFAULT_TRACE_SETTINGS: TraceSettings = {
  maxEventsPerUser: 5000,
  maxAgeMs: 3_600_000,
  maxBytes: 64 * 1024 * 1024,
};

/** An event to record; `payloadText`, the payload's JSON when the recorder has it, spares serializing it again for a listener. */
export type TraceInput = TraceNote & { payloadText?: string | undefined };

/**
 * A live event: its seq, its full redacted JSON text (a `TraceEvent`), and the event itself (the
 * recorder's objects, not redacted: for the hub's own use, never to be sent or kept).
 */
type Listener = (seq: number, text: string, event: TraceEvent) => void;

interface Ring {
  events: TraceRing;
  listeners: Set<Listener>;
}

/**
 * Every user's recent trace events, in a bounded ring per user under a global byte budget. An
 * event is kept in a few slots, a cluster as what changed since the previous one
 * (`trace-ring.ts`); its redacted JSON text is made once, when someone listens (a live viewer, a
 * stream), or when someone reads.
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

  /** Keep an event for the user; returns its seq. */
  record(userId: string, input: TraceInput): number {
    const ring = this.ring(userId);
    const seq = ring.events.seq + 1;
    this.keep(ring, seq, this.now(), input, this.wantsText(userId));
    return seq;
  }

  /**
   * Many nodes: go on numbering the user's events after `seq`, the last one another node stored.
   * Seqs in a ring stay consecutive, so a ring that would skip ahead is emptied first.
   */
  continueAfter(userId: string, seq: number): void {
    const ring = this.ring(userId);
    if (seq <= ring.events.seq) return;
    this.bytes -= ring.events.bytes;
    ring.events.clear(seq);
  }

  /**
   * Many nodes: forget what the ring holds of the user, numbering included (a copy of another
   * node's trace, about to be read again from the stream, whose numbering may have begun anew).
   */
  restart(userId: string): void {
    const ring = this.rings.get(userId);
    if (!ring) return;
    this.bytes -= ring.events.bytes;
    ring.events.clear(0);
  }

  /** Many nodes: an event another node recorded, kept with its seq and time (one already held is skipped). */
  ingest(event: TraceEvent): void {
    const ring = this.ring(event.userId);
    if (event.seq <= ring.events.seq) return;
    this.continueAfter(event.userId, event.seq - 1);
    const { seq, ts, userId: _, ...note } = event;
    // Already in the stream it came from: only this node's listeners get it.
    this.keep(ring, seq, ts, note, false);
  }

  /** Events of a user with seq > sinceSeq, oldest first; at most `limit` of them. */
  read(userId: string, sinceSeq = 0, limit = Infinity): TraceEvent[] {
    const ring = this.rings.get(userId);
    if (!ring) return [];
    this.trim(ring, this.now());
    return ring.events.read(sinceSeq, limit, (event) => JSON.parse(JSON.stringify(event)) as TraceEvent);
  }

  /** The same as `read`, as each event's redacted JSON text (what a viewer is sent), and the first one's seq. */
  readTexts(userId: string, sinceSeq = 0, limit = Infinity): { fromSeq: number; texts: string[] } {
    const ring = this.rings.get(userId);
    if (!ring) return { fromSeq: sinceSeq + 1, texts: [] };
    this.trim(ring, this.now());
    const fromSeq = Math.max(sinceSeq + 1, ring.events.firstSeq);
    return { fromSeq, texts: ring.events.read(sinceSeq, limit, (event) => redactJson(JSON.stringify(event))) };
  }

  /** The sequence number of the user's latest event (0 when none). */
  lastSeq(userId: string): number {
    return this.rings.get(userId)?.events.seq ?? 0;
  }

  /** The oldest seq still held for the user (lastSeq + 1 when none is). */
  firstSeq(userId: string): number {
    const ring = this.rings.get(userId);
    if (!ring) return 1;
    this.trim(ring, this.now());
    return ring.events.firstSeq;
  }

  /** The state of every device right before the oldest event still held (see `foldBaseline`). */
  baseline(userId: string): TraceBaseline {
    const ring = this.rings.get(userId);
    if (!ring) return emptyBaseline();
    this.trim(ring, this.now());
    return structuredClone(ring.events.baseline);
  }

  /** Live events of the user, as they are recorded, with their text. */
  subscribe(userId: string, listener: Listener): () => void {
    const ring = this.ring(userId);
    ring.listeners.add(listener);
    return () => ring.listeners.delete(listener);
  }

  hasListeners(userId: string): boolean {
    return (this.rings.get(userId)?.listeners.size ?? 0) > 0;
  }

  /** Whether an event of the user is wanted as text besides its listeners (a subclass that sends it on). */
  protected wantsText(_userId: string): boolean {
    return false;
  }

  /** An event kept, with its full text when someone wanted it (`wantsText` or a listener). */
  protected kept(_userId: string, _seq: number, _text: string): void {}

  private keep(ring: Ring, seq: number, ts: number, note: TraceInput, wanted: boolean): void {
    const userId = ring.events.userId;
    const { bytes, live } = ring.events.store(seq, ts, note, wanted || ring.listeners.size > 0);
    this.bytes += bytes;
    this.trim(ring, ts);
    if (live === null) return;
    if (wanted) this.kept(userId, seq, live.text);
    for (const listener of ring.listeners) {
      try {
        listener(seq, live.text, live.event);
      } catch {
        // A broken listener must never break the session that produced the event.
        ring.listeners.delete(listener);
      }
    }
  }

  private ring(userId: string): Ring {
    let ring = this.rings.get(userId);
    if (!ring) {
      ring = { events: new TraceRing(userId), listeners: new Set() };
      this.rings.set(userId, ring);
    }
    return ring;
  }

  private trim(ring: Ring, now: number): void {
    const events = ring.events;
    const share = this.settings.maxBytes / Math.max(1, this.rings.size);
    while (events.size > 0) {
      const tooMany = events.size > this.settings.maxEventsPerUser;
      const tooOld = now - events.oldestTs! > this.settings.maxAgeMs;
      const overBudget = this.bytes > this.settings.maxBytes && events.bytes > share;
      if (!tooMany && !tooOld && !overBudget) break;
      this.bytes -= events.evict();
    }
  }
}

import type { TraceEvent } from '@handoff/protocol';

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

export type TraceInput = Omit<TraceEvent, 'seq' | 'ts' | 'userId'> & {
  /** The payload already serialized (a push's frame): used as is instead of serializing it again. */
  payloadJson?: string;
};

/** Called for every event recorded for a user, with the text it is held as. */
type Listener = (event: TraceEvent, text: string) => void;

interface Ring {
  /** Every event as its JSON text, oldest at `head`: no object graphs (and clusters) pinned. */
  texts: string[];
  /** Each event's `ts`, for trimming by age without parsing. */
  times: number[];
  head: number;
  bytes: number;
  seq: number;
  listeners: Set<Listener>;
}

/**
 * Every user's recent trace events, in a bounded ring per user under a global byte budget. Each
 * event is held as its JSON text, serialized once when recorded (a push's payload is the frame
 * already encoded for the devices): the budget counts real bytes, an event pins nothing else,
 * and a viewer's frame is the texts joined. Reading whole events parses them back.
 */
export class TraceLog {
  private readonly rings = new Map<string, Ring>();
  private bytes = 0;

  constructor(
    private readonly now: () => number,
    private readonly settings: TraceSettings = DEFAULT_TRACE_SETTINGS,
  ) {}

  record(userId: string, input: TraceInput): TraceEvent {
    const ring = this.ring(userId);
    const { payloadJson, ...rest } = input;
    const event: TraceEvent = { seq: ++ring.seq, ts: this.now(), userId, ...rest };
    this.hold(ring, event, textOf(event, payloadJson));
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
    ring.texts = [];
    ring.times = [];
    ring.head = 0;
    ring.bytes = 0;
    ring.seq = seq;
  }

  /** Many nodes: an event another node recorded (and its text, when at hand), kept with its seq and time; one already held is skipped. */
  ingest(event: TraceEvent, text = JSON.stringify(event)): void {
    const ring = this.ring(event.userId);
    if (event.seq <= ring.seq) return;
    this.continueAfter(event.userId, event.seq - 1);
    ring.seq = event.seq;
    this.hold(ring, event, text);
  }

  /** Events of a user with seq > sinceSeq, oldest first; at most `limit` of them. */
  read(userId: string, sinceSeq = 0, limit = Infinity): TraceEvent[] {
    return this.readTexts(userId, sinceSeq, limit).map((text) => JSON.parse(text) as TraceEvent);
  }

  /** The same as `read`, as the events' JSON texts (what a viewer is sent). */
  readTexts(userId: string, sinceSeq = 0, limit = Infinity): string[] {
    const ring = this.rings.get(userId);
    if (!ring) return [];
    this.trim(ring, this.now());
    const held = ring.texts.length - ring.head;
    if (held === 0) return [];
    // Seqs in a ring are consecutive, so the first wanted event is found by arithmetic.
    const oldest = ring.seq - held + 1;
    const start = ring.head + Math.max(0, sinceSeq + 1 - oldest);
    return ring.texts.slice(start, Math.min(ring.texts.length, start + limit));
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
    return ring.seq - (ring.texts.length - ring.head) + 1;
  }

  subscribe(userId: string, listener: Listener): () => void {
    const ring = this.ring(userId);
    ring.listeners.add(listener);
    return () => ring.listeners.delete(listener);
  }

  hasListeners(userId: string): boolean {
    return (this.rings.get(userId)?.listeners.size ?? 0) > 0;
  }

  private hold(ring: Ring, event: TraceEvent, text: string): void {
    ring.texts.push(text);
    ring.times.push(event.ts);
    ring.bytes += text.length;
    this.bytes += text.length;
    this.trim(ring, this.now());
    for (const listener of ring.listeners) {
      try {
        listener(event, text);
      } catch {
        // A broken listener must never break the session that produced the event.
        ring.listeners.delete(listener);
      }
    }
  }

  private ring(userId: string): Ring {
    let ring = this.rings.get(userId);
    if (!ring) {
      ring = { texts: [], times: [], head: 0, bytes: 0, seq: 0, listeners: new Set() };
      this.rings.set(userId, ring);
    }
    return ring;
  }

  private trim(ring: Ring, now: number): void {
    const share = this.settings.maxBytes / Math.max(1, this.rings.size);
    while (ring.head < ring.texts.length) {
      const tooMany = ring.texts.length - ring.head > this.settings.maxEventsPerUser;
      const tooOld = now - ring.times[ring.head]! > this.settings.maxAgeMs;
      const overBudget = this.bytes > this.settings.maxBytes && ring.bytes > share;
      if (!tooMany && !tooOld && !overBudget) break;
      const size = ring.texts[ring.head]!.length;
      ring.bytes -= size;
      this.bytes -= size;
      ring.head++;
    }
    // Compact now and then so the arrays do not grow without bound.
    if (ring.head > 1024 && ring.head > ring.texts.length / 2) {
      ring.texts = ring.texts.slice(ring.head);
      ring.times = ring.times.slice(ring.head);
      ring.head = 0;
    }
  }
}

/** An event's JSON text; with `payloadJson`, that text stands for its payload (it is not serialized again). */
function textOf(event: TraceEvent, payloadJson: string | undefined): string {
  if (payloadJson === undefined) return JSON.stringify(event);
  const { payload: _given, ...rest } = event;
  const head = JSON.stringify(rest);
  return `${head.slice(0, -1)},"payload":${payloadJson}}`;
}

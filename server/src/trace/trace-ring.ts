import type { TraceBaseline, TraceEvent, TraceKind, TraceNote } from '@handoff/protocol';
import { emptyBaseline, foldBaseline } from './baseline.ts';
import { apply, diff, type Op } from './json-patch.ts';
import { jsonString, jsonStrings, liveText } from './live-text.ts';

/** What an event costs besides its payload: its slots in the ring's eight columns. */
export const ENTRY_OVERHEAD_BYTES = 64;

/** One event as a recorder gives it, whatever the kind: the fields a ring reads. */
interface NoteFields {
  kind: TraceKind;
  type: string;
  deviceId?: string | undefined;
  recipients?: string[] | undefined;
  correlationId?: string | undefined;
  parentSeq?: number | undefined;
  from?: string | undefined;
  to?: string | undefined;
  payload?: unknown;
}

/** A transition's states (the only events that have them). */
interface States {
  from?: string | undefined;
  to?: string | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * One user's recent trace, held compactly: one slot per event in each of a few columns (no object
 * per event), and a message that carries the cluster (a push, a welcome) without it: in its
 * place, what changed since the cluster the ring's previous such event carried, as text
 * (`json-patch.ts`). A push to N devices is one event holding a few dozen bytes of its own, and
 * the ring pins none of the session's clusters.
 *
 * A read rebuilds the clusters from the oldest patch on (continuing from where the last read
 * stopped, so catching up in batches is linear); eviction folds the oldest event into the
 * baseline and its patch into the cluster the next patch applies to.
 */
export class TraceRing {
  private times: number[] = [];
  private kinds: TraceKind[] = [];
  private types: string[] = [];
  /** The device (`deviceId`) or the devices (`recipients`, one array shared by consecutive events to the same devices). */
  private devices: Array<string | string[] | undefined> = [];
  private correlations: Array<string | undefined> = [];
  private parents: Array<number | undefined> = [];
  /** The payload; for an event whose message carries the cluster, a copy without it. */
  private payloads: unknown[] = [];
  /** A cluster patch (as text), a transition's states, or nothing. */
  private extras: Array<string | States | undefined> = [];
  private head = 0;
  bytes = 0;
  seq = 0;
  /** What the evicted events said: the state right before the oldest event held. */
  baseline: TraceBaseline = emptyBaseline();
  /** The cluster of the newest event that carried one (the recorder's object, diffed against the next by identity). */
  private lastCluster: unknown = undefined;
  private lastRecipients: string[] | undefined = undefined;
  /** `lastRecipients` as JSON text, made once when a listener first needs it. */
  private lastRecipientsText: string | undefined = undefined;
  /** The user as JSON text. */
  private readonly userText: string;
  private lastRest: Record<string, unknown> | undefined = undefined;
  /** The cluster as of the newest evicted event that carried one: what the oldest patch held applies to (the ring's own). */
  private baseCluster: unknown = undefined;
  /** Where the last read stopped: the cluster as of event `seq` (the ring's own copy, advanced by the next read). */
  private memo: { seq: number; cluster: unknown } | null = null;

  constructor(readonly userId: string) {
    this.userText = jsonString(userId);
  }

  get size(): number {
    return this.times.length - this.head;
  }

  /** The seq of the oldest event held (seq + 1 when none is). */
  get firstSeq(): number {
    return this.seq - this.size + 1;
  }

  get oldestTs(): number | undefined {
    return this.times[this.head];
  }

  /**
   * Keep event `seq` (the next one, `this.seq + 1`); returns the bytes it holds by the ring's
   * estimate and, when `withText`, its full redacted JSON text (for a live viewer or a stream).
   */
  store(
    seq: number,
    ts: number,
    note: TraceNote & { payloadText?: string | undefined },
    withText: boolean,
  ): { bytes: number; live: { text: string; event: TraceEvent } | null } {
    const n = note as NoteFields;
    const cluster = n.kind === 'message.out' && isObject(n.payload) && isObject(n.payload.cluster) ? n.payload.cluster : undefined;
    let extra: string | States | undefined;
    let payload = n.payload;
    let bytes = ENTRY_OVERHEAD_BYTES;
    if (cluster !== undefined) {
      // The message without its cluster; pushes for the same reason share one copy.
      const rest = { ...(n.payload as Record<string, unknown>), cluster: undefined };
      payload = this.lastRest && sameFields(this.lastRest, rest) ? this.lastRest : (this.lastRest = rest);
      extra = flat(JSON.stringify(diff(this.lastCluster, cluster)));
      this.lastCluster = cluster;
      bytes += extra.length + 64;
    } else {
      if (n.from !== undefined || n.to !== undefined) extra = { from: n.from, to: n.to };
      // A payload's size, roughly, without serializing it: what the hub's messages hold is mostly small.
      if (payload !== undefined) bytes += 96;
    }
    let devices: string | string[] | undefined = n.deviceId;
    if (n.recipients) {
      const last = this.lastRecipients;
      if (last && sameList(last, n.recipients)) devices = last;
      else {
        devices = this.lastRecipients = n.recipients;
        this.lastRecipientsText = undefined;
      }
    }
    this.seq = seq;
    this.times.push(ts);
    this.kinds.push(n.kind);
    this.types.push(n.type);
    this.devices.push(devices);
    this.correlations.push(n.correlationId);
    this.parents.push(n.parentSeq);
    this.payloads.push(payload);
    this.extras.push(extra);
    this.bytes += bytes;
    if (!withText) return { bytes, live: null };
    // When the recorder has the payload's JSON (a push's frame), that text is reused.
    const recipientsText = Array.isArray(devices) ? (this.lastRecipientsText ??= jsonStrings(devices)) : undefined;
    const states = typeof extra === 'object' ? extra : undefined;
    const text = liveText({
      seq,
      ts,
      userText: this.userText,
      kind: n.kind,
      type: n.type,
      deviceId: typeof devices === 'string' ? devices : undefined,
      recipientsText,
      correlationId: n.correlationId,
      parentSeq: n.parentSeq,
      from: states?.from,
      to: states?.to,
      payloadText: note.payloadText,
      payload: n.payload,
    });
    const event = view(seq, ts, this.userId, n.kind, n.type, devices, n.correlationId, n.parentSeq, extra, n.payload);
    return { bytes, live: { text, event } };
  }

  /** Drop the oldest event, folding it into the baseline; returns the bytes it held. */
  evict(): number {
    const i = this.head;
    const seq = this.firstSeq;
    const extra = this.extras[i];
    let payload = this.payloads[i];
    let bytes = ENTRY_OVERHEAD_BYTES;
    if (typeof extra === 'string') {
      this.baseCluster = apply(this.baseCluster, decodePatch(extra));
      if (this.memo && this.memo.seq < seq) this.memo = null;
      payload = { ...(payload as Record<string, unknown>), cluster: this.baseCluster };
      bytes += extra.length + 64;
    } else if (payload !== undefined) bytes += 96;
    const devices = this.devices[i];
    const kind = this.kinds[i]!;
    const type = this.types[i]!;
    if (folds(kind, type)) {
      foldBaseline(this.baseline, view(seq, this.times[i]!, this.userId, kind, type, devices, this.correlations[i], undefined, extra, payload));
    } else {
      this.baseline.throughSeq = seq;
    }
    this.payloads[i] = this.devices[i] = this.extras[i] = undefined;
    this.head++;
    this.bytes -= bytes;
    // Compact once half the columns is evicted: each slot is copied at most once per eviction.
    if (this.head >= this.times.length / 2) this.compact();
    return bytes;
  }

  /** Forget every event; numbering goes on after `seq`. */
  clear(seq: number): void {
    this.head = this.times.length;
    this.compact();
    this.bytes = 0;
    this.seq = seq;
    this.baseline = { ...emptyBaseline(), throughSeq: seq };
    this.lastCluster = this.baseCluster = this.lastRecipients = this.lastRest = this.lastRecipientsText = undefined;
    this.memo = null;
  }

  /** The events with seq > sinceSeq, oldest first, at most `limit`, each as `emit` makes it (its own objects, clusters rebuilt). */
  read<T>(sinceSeq: number, limit: number, emit: (event: TraceEvent) => T): T[] {
    const first = this.firstSeq;
    const from = this.head + Math.max(0, sinceSeq + 1 - first);
    const to = Math.min(this.times.length, from + limit);
    if (from >= to) return [];
    // The cluster as of the event before `from`: from the last read if it stopped at or before, else from the base.
    let at: number;
    let cluster: unknown;
    const memo = this.memo;
    const fromSeq = first + (from - this.head);
    if (memo && memo.seq < fromSeq && memo.seq >= first - 1) {
      at = this.head + (memo.seq - first + 1);
      cluster = memo.cluster;
    } else {
      at = this.head;
      cluster = this.baseCluster === undefined ? undefined : structuredClone(this.baseCluster);
    }
    const out: T[] = [];
    for (; at < to; at++) {
      const extra = this.extras[at];
      if (typeof extra === 'string') cluster = apply(cluster, decodePatch(extra));
      if (at < from) continue;
      let payload = this.payloads[at];
      if (typeof extra === 'string') payload = { ...(payload as Record<string, unknown>), cluster };
      const seq = first + (at - this.head);
      out.push(emit(view(seq, this.times[at]!, this.userId, this.kinds[at]!, this.types[at]!, this.devices[at], this.correlations[at], this.parents[at], extra, payload)));
    }
    this.memo = { seq: first + (to - 1 - this.head), cluster };
    return out;
  }

  private compact(): void {
    const h = this.head;
    this.times = this.times.slice(h);
    this.kinds = this.kinds.slice(h);
    this.types = this.types.slice(h);
    this.devices = this.devices.slice(h);
    this.correlations = this.correlations.slice(h);
    this.parents = this.parents.slice(h);
    this.payloads = this.payloads.slice(h);
    this.extras = this.extras.slice(h);
    this.head = 0;
  }
}

/** An event as readers see it, from a ring's slots (`payload` as given: the caller puts the cluster back). */
function view(
  seq: number,
  ts: number,
  userId: string,
  kind: TraceKind,
  type: string,
  devices: string | string[] | undefined,
  correlationId: string | undefined,
  parentSeq: number | undefined,
  extra: string | States | undefined,
  payload: unknown,
): TraceEvent {
  const states = typeof extra === 'object' ? extra : undefined;
  return {
    seq,
    ts,
    userId,
    kind,
    type,
    deviceId: typeof devices === 'string' ? devices : undefined,
    recipients: Array.isArray(devices) ? devices : undefined,
    correlationId,
    parentSeq,
    from: states?.from,
    to: states?.to,
    payload,
  } as TraceEvent;
}

/** Two flat records with the same fields and the same values (by identity). */
function sameFields(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  let n = 0;
  for (const key in b) {
    if (a[key] !== b[key]) return false;
    n++;
  }
  return Object.keys(a).length === n;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const decodePatch = (text: string): Op[] => JSON.parse(text) as Op[];

/**
 * The same text, made one flat string. V8 builds `JSON.stringify`'s result from parts of 32, 64,
 * 128... characters joined as a rope: a 300-character patch held as is costs ~480 B, flattened
 * ~350 B (measured on Node 20). Reading a character flattens a rope in place.
 */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

/** Whether the baseline takes anything from an event (most events, e.g. results and timers, it does not). */
function folds(kind: TraceKind, type: string): boolean {
  switch (kind) {
    case 'transition':
    case 'connection':
    case 'presence':
    case 'clock':
    case 'transfer.phase':
      return true;
    case 'message.in':
      return type === 'device.hello';
    case 'message.out':
      return type === 'hub.welcome' || type === 'cluster.update' || type === 'transfer.switch' || type === 'transfer.abort';
    default:
      return false;
  }
}

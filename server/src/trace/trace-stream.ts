import { TRACE_FORMAT_VERSION, type Cluster, type ViewerMessage } from '@handoff/protocol';
import type { Clock } from '../clock.ts';
import type { HubSocket } from '../socket.ts';
import { redactJson } from './redact.ts';
import type { TraceLog } from './trace-log.ts';

export interface TraceStreamSettings {
  /** Live events are sent at most this often, batched. @default 16 */
  flushMs: number;
  /** Events per `trace.events` frame. @default 500 */
  maxBatch: number;
  /** Stop sending while the socket has more than this queued. @default 1 MiB */
  highWaterBytes: number;
  /** While stopped, look again this often. @default 50 */
  pollMs: number;
  /** Live events held between flushes before the stream falls back to reading the ring. @default 5000 */
  maxPending: number;
}

export const DEFAULT_TRACE_STREAM_SETTINGS: TraceStreamSettings = {
  flushMs: 16,
  maxBatch: 500,
  highWaterBytes: 1024 * 1024,
  pollMs: 50,
  maxPending: 5000,
};

/** Frames sent in one go while catching up, before yielding to the event loop. */
export const BATCHES_PER_TURN = 8;

/**
 * A share of the event loop's turn that several streams draw on (all the viewers of one user): a
 * batch is sent only with a unit taken; without one, catch-up resumes in a later turn.
 */
export interface TurnShare {
  take(): boolean;
  later(fn: () => void): void;
}

/**
 * One viewer's view of one user's trace: a hello, then every event after `sinceSeq` read from the
 * ring (catch-up), then live events as they are recorded, batched.
 *
 * It never buffers without bound. Live events wait at most `flushMs` in a list capped at
 * `maxPending`; when the socket's queue passes `highWaterBytes` (or the list overflows), the stream
 * drops what it holds, stops listening and goes back to reading the ring from its cursor once the
 * socket drains. Whatever the ring evicted meanwhile is announced with a `trace.gap`.
 */
export class TraceStream {
  private cursor: number;
  /** Live events since the last flush, as their text (redacted when stored), and the last one's seq. */
  private pending: string[] = [];
  private pendingSeq = 0;
  private unsubscribe: (() => void) | null = null;
  private timer: unknown = null;
  private slow = false;
  private stopped = false;

  constructor(
    private readonly socket: HubSocket,
    private readonly trace: TraceLog,
    private readonly clock: Clock,
    private readonly userId: string,
    sinceSeq: number,
    private readonly settings: TraceStreamSettings = DEFAULT_TRACE_STREAM_SETTINGS,
    /** Called each time the viewer starts falling behind (for `handoff_trace_viewers_behind_total`). */
    private readonly onBehind: () => void = () => {},
    /** What this stream's viewer (with all its other streams) may send per turn while catching up; unbounded without. */
    private readonly share: TurnShare | null = null,
  ) {
    // A cursor past the end (the hub restarted and its seqs began again) resumes from the start.
    this.cursor = sinceSeq > trace.lastSeq(userId) ? 0 : sinceSeq;
  }

  /** Send the hello and start catching up. */
  start(cluster: Cluster | null): void {
    this.send({
      type: 'trace.hello',
      formatVersion: TRACE_FORMAT_VERSION,
      userId: this.userId,
      lastSeq: this.trace.lastSeq(this.userId),
      serverTime: this.clock.now(),
      cluster,
      bootId: this.trace.bootId,
      baseline: this.trace.baseline(this.userId),
    });
    this.catchUp();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.pending = [];
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** The last seq sent or announced as a gap. */
  get sentSeq(): number {
    return this.cursor;
  }

  private catchUp = (): void => {
    this.timer = null;
    if (this.stopped) return;
    for (let i = 0; i < BATCHES_PER_TURN && !this.stopped; i++) {
      if (this.socket.bufferedAmount > this.settings.highWaterBytes) {
        if (!this.slow) this.onBehind();
        this.slow = true;
        return this.schedule(this.catchUp, this.settings.pollMs);
      }
      if (this.share && !this.share.take()) return this.share.later(this.catchUp);
      const first = this.trace.firstSeq(this.userId);
      if (this.cursor + 1 < first) {
        this.send({
          type: 'trace.gap',
          fromSeq: this.cursor + 1,
          toSeq: first - 1,
          reason: this.slow ? 'slow-viewer' : 'evicted',
        });
        this.cursor = first - 1;
      }
      const { fromSeq, texts } = this.trace.readTexts(this.userId, this.cursor, this.settings.maxBatch);
      if (texts.length > 0) this.sendEvents(texts, fromSeq + texts.length - 1);
      if (texts.length < this.settings.maxBatch) return this.goLive();
    }
    if (!this.stopped) this.schedule(this.catchUp, 0);
  };

  /** Caught up with the ring: from here on, events come from the listener. Same turn, so none is missed. */
  private goLive(): void {
    if (this.stopped) return;
    this.slow = false;
    this.unsubscribe = this.trace.subscribe(this.userId, (seq, text) => this.onEvent(seq, text));
  }

  private onEvent(seq: number, text: string): void {
    if (seq <= this.cursor) return;
    this.pending.push(text);
    this.pendingSeq = seq;
    if (this.pending.length >= this.settings.maxPending) return this.fallBehind();
    if (this.timer === null) this.schedule(this.flush, this.settings.flushMs);
  }

  private flush = (): void => {
    this.timer = null;
    if (this.stopped || this.pending.length === 0) return;
    if (this.socket.bufferedAmount > this.settings.highWaterBytes) return this.fallBehind();
    const texts = this.pending;
    const last = this.pendingSeq;
    this.pending = [];
    const { maxBatch } = this.settings;
    for (let i = 0; i < texts.length; i += maxBatch) {
      const batch = texts.slice(i, i + maxBatch);
      this.sendEvents(batch, last - texts.length + i + batch.length);
    }
  };

  /** Too slow: hold nothing, listen to nothing, and read the ring again once the socket drains. */
  private fallBehind(): void {
    if (!this.slow) this.onBehind();
    this.slow = true;
    this.pending = [];
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.schedule(this.catchUp, this.settings.pollMs);
  }

  /** A `trace.events` frame of consecutive events ending at `lastSeq`, from their texts (the ring redacted them). */
  private sendEvents(texts: string[], lastSeq: number): void {
    this.write(`{"type":"trace.events","events":[${texts.join(',')}]}`);
    this.cursor = lastSeq;
  }

  private send(message: ViewerMessage): void {
    this.write(redactJson(JSON.stringify(message)));
  }

  private write(text: string): void {
    try {
      this.socket.send(text);
    } catch {
      // The socket is gone (its close event stops us too); a viewer never takes the hub down.
      this.stop();
    }
  }

  private schedule(fn: () => void, ms: number): void {
    this.timer = this.clock.setTimeout(fn, ms);
  }
}

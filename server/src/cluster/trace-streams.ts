import type { TraceEvent } from '@handoff/protocol';
import type { Bus } from '../bus/bus.ts';
import { sleepOn, systemClock, type Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import { closeRedis, duplicateRedis, type RedisClient } from '../store/redis-connect.ts';
import { redisKeys } from '../store/redis-keys.ts';
import { TraceLog, type TraceSettings } from '../trace/trace-log.ts';
import type { TraceWatch } from './placement.ts';
import { DEFAULT_TRACE_WRITE_SETTINGS, TraceWatches, WATCH_TTL_MS, type TraceWriteSettings } from './trace-watches.ts';

/**
 * Users' traces in capped Redis streams (entry id `seq-0`), written on demand by the node that
 * owns the session: while a viewer on any node watches the user, for a tail after, and always for
 * a sampled share of users (trace-watches.ts). The owner's ring in memory is the trace; the
 * stream lets a viewer on another node follow it, and a takeover go on numbering it.
 */
export interface TraceStreams {
  /** Listen for watches announced by other nodes. */
  start(): Promise<void>;
  /** Whether the user's trace is written now (an event recorded for the user should be appended). */
  writes(userId: string): boolean;
  /** An event recorded here (by the owner), as its text: stored soon, in a batch. */
  append(userId: string, seq: number, text: string): void;
  /** This node took the user over: the last seq stored for the user (0 when none), and whether anyone watches. */
  adopt(userId: string): Promise<number>;
  /** This node no longer owns the user: store what is pending. */
  release(userId: string): Promise<void>;
  /** Resolves once what was appended is stored. */
  flush(): Promise<void>;
  /**
   * A viewer of the user on this node: keep the watch alive cluster-wide, and `ring` in step with
   * the user's stream (backfill, then follow). `owned`: this node runs the user's session (its
   * ring is the trace itself; elsewhere the ring is a copy, started afresh from the stream).
   */
  watch(userId: string, ring: TraceLog, owned: boolean): TraceWatch;
  close(): Promise<void>;
}

export interface RedisTraceStreamsOptions {
  /** For writes and reads; owned (closed with it). Watchers use duplicates of it. */
  redis: RedisClient;
  /** Where watches are announced (shared with the mesh; not closed here). */
  bus: Bus;
  nodeId: string;
  log: Log;
  settings: TraceSettings;
  /** Whose traces are written besides the watched ones, and the tail. @default DEFAULT_TRACE_WRITE_SETTINGS */
  writes?: TraceWriteSettings;
  /** This node's trace log (the owner's rings: what is written when a watch begins). */
  trace: TraceLog;
  /** Appended events wait at most this long to be written together. @default 20 */
  flushMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** The node owning the user's partition (the Mesh's rendezvous): where watches are announced. @default nobody (the watch key alone) */
  ownerOf?: (userId: string) => string | null;
}

/** An event on its way to the user's stream. */
interface Pending {
  userId: string;
  seq: number;
  text: string;
}

interface Mirror {
  watchers: number;
  stopped: boolean;
  conn: RedisClient;
  ready: Promise<void>;
  unwatch: () => void;
}

export class RedisTraceStreams implements TraceStreams {
  private pending: Pending[] = [];
  private timer: unknown = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly mirrors = new Map<string, Mirror>();
  /** Users whose session runs here (their ring is the trace, and written from here). */
  private readonly owned = new Set<string>();
  /** Owned users: the last seq known to be in their stream. */
  private readonly stored = new Map<string, number>();
  private readonly watches: TraceWatches;
  private readonly clock: Clock;
  private readonly writeSettings: TraceWriteSettings;

  constructor(private readonly opts: RedisTraceStreamsOptions) {
    this.clock = opts.clock ?? systemClock;
    this.writeSettings = opts.writes ?? DEFAULT_TRACE_WRITE_SETTINGS;
    this.watches = new TraceWatches({
      redis: opts.redis,
      bus: opts.bus,
      nodeId: opts.nodeId,
      clock: this.clock,
      log: opts.log,
      settings: this.writeSettings,
      began: (userId) => this.began(userId),
      ownerOf: (userId) => opts.ownerOf?.(userId) ?? null,
    });
  }

  start(): Promise<void> {
    return this.watches.start();
  }

  writes(userId: string): boolean {
    return this.watches.writes(userId);
  }

  append(userId: string, seq: number, text: string): void {
    this.queue({ userId, seq, text });
  }

  async adopt(userId: string): Promise<number> {
    this.owned.add(userId);
    const pipe = this.opts.redis.pipeline();
    pipe.xrevrange(redisKeys.trace(userId), '+', '-', 'COUNT', this.opts.settings.maxEventsPerUser);
    pipe.pttl(redisKeys.traceWatch(userId));
    const [kept, pttl] = (await pipe.exec()) ?? [];
    if (kept?.[0]) throw kept[0];
    const entries = (kept?.[1] ?? []) as Array<[string, string[]]>;
    const last = entries[0] ? seqOf(entries[0][0]) : 0;
    if (entries.length > 0) {
      // The trace as the last owner wrote it (watched, in its tail, or sampled): this ring goes on from it.
      const ring = this.opts.trace;
      ring.restart(userId);
      for (let i = entries.length - 1; i >= 0; i--) {
        const json = entries[i]![1][1];
        if (json) ring.ingest(JSON.parse(json) as TraceEvent);
      }
    }
    this.stored.set(userId, last);
    this.watches.adopted(userId, Number(pttl?.[1] ?? -2));
    return last;
  }

  release(userId: string): Promise<void> {
    this.owned.delete(userId);
    this.stored.delete(userId);
    return this.flush();
  }

  /** A user's trace begins being written: if its session runs here, what the ring holds and the stream does not goes first. */
  private began(userId: string): void {
    if (!this.owned.has(userId)) return;
    const { fromSeq, texts } = this.opts.trace.readTexts(userId, this.stored.get(userId) ?? 0);
    texts.forEach((text, i) => this.queue({ userId, seq: fromSeq + i, text }));
  }

  private queue(event: Pending): void {
    this.pending.push(event);
    this.timer ??= this.clock.setTimeout(() => void this.flush(), this.opts.flushMs ?? 20);
  }

  flush(): Promise<void> {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) this.writing = this.writing.then(() => this.write(batch));
    return this.writing;
  }

  watch(userId: string, ring: TraceLog, owned: boolean): TraceWatch {
    let mirror = this.mirrors.get(userId);
    if (!mirror) {
      // Elsewhere than the owner, the ring is a copy of the stream: one left from an older watch
      // may hold seqs of a numbering that lapsed with its stream, so it starts afresh.
      if (!owned) ring.restart(userId);
      const conn = duplicateRedis(this.opts.redis);
      conn.on('error', () => {});
      const created: Mirror = { watchers: 0, stopped: false, conn, ready: Promise.resolve(), unwatch: this.watches.watch(userId) };
      created.ready = this.follow(userId, ring, created);
      this.mirrors.set(userId, (mirror = created));
    }
    mirror.watchers++;
    const m = mirror;
    let stopped = false;
    return {
      ready: m.ready,
      stop: () => {
        if (stopped) return;
        stopped = true;
        if (--m.watchers > 0) return;
        m.stopped = true;
        this.mirrors.delete(userId);
        m.unwatch();
        m.conn.disconnect();
      },
    };
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    for (const m of this.mirrors.values()) {
      m.stopped = true;
      m.unwatch();
      m.conn.disconnect();
    }
    this.mirrors.clear();
    await this.watches.close();
    await closeRedis(this.opts.redis);
  }

  /**
   * One pipeline per user: a user's stream sits in the user's slot, and on a Redis Cluster a
   * pipeline may only touch keys of one slot group. (On one Redis the pipelines of one turn still
   * go out together, by auto-pipelining.)
   */
  private async write(batch: Pending[]): Promise<void> {
    const { maxEventsPerUser, maxAgeMs } = this.opts.settings;
    const watchedLifeMs = this.writeSettings.tailMs + WATCH_TTL_MS;
    const byUser = new Map<string, Pending[]>();
    for (const event of batch) {
      let list = byUser.get(event.userId);
      if (!list) byUser.set(event.userId, (list = []));
      list.push(event);
    }
    const writes = [...byUser].map(async ([userId, events]) => {
      const key = redisKeys.trace(userId);
      const pipe = this.opts.redis.pipeline();
      for (const event of events) pipe.xadd(key, 'MAXLEN', '~', maxEventsPerUser, `${event.seq}-0`, 'e', event.text);
      // A sampled user's stream is kept as long as the trace; a watched one's for its tail.
      pipe.pexpire(key, this.watches.sampled(userId) ? maxAgeMs : watchedLifeMs);
      // An entry refused as older than the stream's last (a stale owner) is dropped on purpose.
      await pipe.exec();
      const through = events[events.length - 1]!.seq;
      if ((this.stored.get(userId) ?? Infinity) < through) this.stored.set(userId, through);
    });
    for (const outcome of await Promise.allSettled(writes)) {
      if (outcome.status === 'rejected') this.opts.log.warn({ err: outcome.reason as unknown }, 'trace: could not write to the stream');
    }
  }

  /** Backfill the ring from the stream after what it holds, say ready, then follow the stream until stopped. */
  private async follow(userId: string, ring: TraceLog, m: Mirror): Promise<void> {
    const key = redisKeys.trace(userId);
    let last = ring.lastSeq(userId);
    const ingest = (entries: Array<[string, string[]]>) => {
      for (const [id, fields] of entries) {
        const json = fields[1];
        if (json) ring.ingest(JSON.parse(json) as TraceEvent);
        last = Math.max(last, seqOf(id));
      }
    };
    try {
      ingest(await m.conn.xrange(key, `(${last}-0`, '+', 'COUNT', this.opts.settings.maxEventsPerUser));
    } catch (err) {
      this.opts.log.warn({ err, userId }, 'trace: could not read the stream');
    }
    void (async () => {
      while (!m.stopped) {
        try {
          const got = await m.conn.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', key, `${Math.max(last, ring.lastSeq(userId))}-0`);
          if (got) for (const [, entries] of got) ingest(entries);
        } catch {
          if (!m.stopped) await sleepOn(this.clock, 500);
        }
      }
    })();
  }
}

/** A TraceLog whose recorded events also go to the users' streams (when written: see TraceStreams). */
export class StreamedTraceLog extends TraceLog {
  readonly streams: TraceStreams;

  constructor(now: () => number, settings: TraceSettings, streams: (log: TraceLog) => TraceStreams) {
    super(now, settings);
    this.streams = streams(this);
  }

  protected override wantsText(userId: string): boolean {
    return this.streams.writes(userId);
  }

  protected override kept(userId: string, seq: number, text: string): void {
    this.streams.append(userId, seq, text);
  }
}

const seqOf = (id: string) => Number(id.slice(0, id.indexOf('-')));

import type { TraceEvent } from '@handoff/protocol';
import { sleepOn, systemClock, type Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import { closeRedis, duplicateRedis, type RedisClient } from '../store/redis-connect.ts';
import { redisKeys } from '../store/redis-keys.ts';
import { TraceLog, type TraceInput, type TraceSettings } from '../trace/trace-log.ts';
import type { TraceWatch } from './placement.ts';

/**
 * Every user's trace in a capped Redis stream (entry id `seq-0`), written by the node that owns
 * the session, so the numbering goes on across owners and a viewer on any node can read and
 * follow it, and resume by seq.
 */
export interface TraceStreams {
  /** An event recorded here (by the owner): stored soon, in a batch. */
  append(event: TraceEvent): void;
  /** The last seq stored for the user (0 when none). */
  lastSeq(userId: string): Promise<number>;
  /** Resolves once what was appended (for the user, or for everyone) is stored. */
  flush(userId?: string): Promise<void>;
  /** Keep `ring` in step with the user's stream while watched: backfill, then follow. */
  watch(userId: string, ring: TraceLog): TraceWatch;
  close(): Promise<void>;
}

export interface RedisTraceStreamsOptions {
  /** For writes and reads; owned (closed with it). Watchers use duplicates of it. */
  redis: RedisClient;
  log: Log;
  settings: TraceSettings;
  /** Appended events wait at most this long to be written together. @default 20 */
  flushMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

interface Mirror {
  watchers: number;
  stopped: boolean;
  conn: RedisClient;
  ready: Promise<void>;
}

export class RedisTraceStreams implements TraceStreams {
  private pending: TraceEvent[] = [];
  private timer: unknown = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly mirrors = new Map<string, Mirror>();

  private readonly clock: Clock;

  constructor(private readonly opts: RedisTraceStreamsOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  append(event: TraceEvent): void {
    this.pending.push(event);
    this.timer ??= this.clock.setTimeout(() => void this.flush(), this.opts.flushMs ?? 20);
  }

  async lastSeq(userId: string): Promise<number> {
    const last = await this.opts.redis.xrevrange(redisKeys.trace(userId), '+', '-', 'COUNT', 1);
    return last[0] ? seqOf(last[0][0]) : 0;
  }

  flush(): Promise<void> {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) this.writing = this.writing.then(() => this.write(batch));
    return this.writing;
  }

  watch(userId: string, ring: TraceLog): TraceWatch {
    let mirror = this.mirrors.get(userId);
    if (!mirror) {
      const conn = duplicateRedis(this.opts.redis);
      conn.on('error', () => {});
      const created: Mirror = { watchers: 0, stopped: false, conn, ready: Promise.resolve() };
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
        m.conn.disconnect();
      },
    };
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    for (const m of this.mirrors.values()) {
      m.stopped = true;
      m.conn.disconnect();
    }
    this.mirrors.clear();
    await closeRedis(this.opts.redis);
  }

  /**
   * One pipeline per user: a user's stream sits in the user's slot, and on a Redis Cluster a
   * pipeline may only touch keys of one slot group. (On one Redis the pipelines of one turn still
   * go out together, by auto-pipelining.)
   */
  private async write(batch: TraceEvent[]): Promise<void> {
    const { maxEventsPerUser, maxAgeMs } = this.opts.settings;
    const byUser = new Map<string, TraceEvent[]>();
    for (const event of batch) {
      let list = byUser.get(event.userId);
      if (!list) byUser.set(event.userId, (list = []));
      list.push(event);
    }
    const writes = [...byUser].map(async ([userId, events]) => {
      const key = redisKeys.trace(userId);
      const pipe = this.opts.redis.pipeline();
      for (const event of events) pipe.xadd(key, 'MAXLEN', '~', maxEventsPerUser, `${event.seq}-0`, 'e', JSON.stringify(event));
      pipe.pexpire(key, maxAgeMs);
      // An entry refused as older than the stream's last (a stale owner) is dropped on purpose.
      await pipe.exec();
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
        if (json) ring.ingest(JSON.parse(json) as TraceEvent, json.length);
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

/** A TraceLog whose every recorded event also goes to the user's stream. */
export class StreamedTraceLog extends TraceLog {
  constructor(
    now: () => number,
    settings: TraceSettings,
    private readonly streams: TraceStreams,
  ) {
    super(now, settings);
  }

  override record(userId: string, input: TraceInput): TraceEvent {
    const event = super.record(userId, input);
    this.streams.append(event);
    return event;
  }
}

const seqOf = (id: string) => Number(id.slice(0, id.indexOf('-')));

import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import type { RedisClient } from '../store/redis-connect.ts';
import { redisKeys } from '../store/redis-keys.ts';

/** A watch lapses this long after the watching node's last refresh; it refreshes every third of it. */
export const WATCH_TTL_MS = 6000;
/** Where a node hears the watches of users it owns: its own sharded channel, so an announcement reaches one node, not every one. */
export const watchChannel = (nodeId: string) => `trace-watch:{${nodeId}}`;

/** Which users' traces an owner writes to Redis, besides the ones a viewer watches. */
export interface TraceWriteSettings {
  /** Share of users (0 to 1, picked by a hash of the user id, the same on every node) whose trace is always written. @default 0 */
  sampleRate: number;
  /**
   * How long an owner goes on writing a user's trace after the last watch lapsed, and how long the
   * stream outlives its last write: a viewer that reloads, or a takeover in that time, finds the
   * trace where it was and its numbering goes on. @default 30_000
   */
  tailMs: number;
}

export const DEFAULT_TRACE_WRITE_SETTINGS: TraceWriteSettings = { sampleRate: 0, tailMs: 30_000 };

/**
 * Who watches whose trace, cluster-wide. A node with viewers of a user keeps a key
 * `tracewatch:{u}` alive (PX = watch TTL + tail) and announces it every third of the watch TTL
 * to the user's owner (computed here by rendezvous, `ownerOf`) on that node's own channel, so a
 * watch costs one delivery per refresh however many nodes run; a node that takes a user over (its
 * owner changed) reads the key. The owner writes a user's trace while the watch, or its tail, lasts (`writes`), and for a
 * sampled share of users always. Nothing here costs anything per idle user: a user nobody watches
 * has no key, no announcement and no entry in any map.
 */
export class TraceWatches {
  /** Users whose trace is written, until when (from announcements and keys). */
  private readonly writeUntil = new Map<string, number>();
  /** Users watched from this node: how many viewers, and the refresh timer. */
  private readonly local = new Map<string, { viewers: number; timer: unknown }>();
  private unsubscribe: (() => Promise<void>) | null = null;
  private sweeper: unknown = null;

  constructor(
    private readonly opts: {
      redis: RedisClient;
      bus: Bus;
      nodeId: string;
      clock: Clock;
      log: Log;
      settings: TraceWriteSettings;
      /** A user's trace started being written (the owner writes what its ring holds). */
      began(userId: string): void;
      /** The node owning the user's partition now (null while not known: the key alone tells it then). */
      ownerOf(userId: string): string | null;
    },
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.opts.bus.subscribe(watchChannel(this.opts.nodeId), (userId) => this.heard(userId, this.lifeMs));
    const sweep = () => {
      const now = this.opts.clock.now();
      for (const [userId, until] of this.writeUntil) if (until <= now) this.writeUntil.delete(userId);
      this.sweeper = this.opts.clock.setTimeout(sweep, WATCH_TTL_MS);
    };
    this.sweeper = this.opts.clock.setTimeout(sweep, WATCH_TTL_MS);
  }

  /** Whether the owner writes this user's trace to Redis now. */
  writes(userId: string): boolean {
    const until = this.writeUntil.get(userId);
    return (until !== undefined && until > this.opts.clock.now()) || this.sampled(userId);
  }

  /** A sampled user: its trace is always written (and kept for the trace's max age). */
  sampled(userId: string): boolean {
    return isSampled(userId, this.opts.settings.sampleRate);
  }

  /** This node took the user over: whether someone watches it, from the key (`pttl`, ms left, as read with the stream's last seq). */
  adopted(userId: string, pttl: number): void {
    if (pttl > 0) this.heard(userId, pttl);
  }

  /** A viewer of the user on this node: keep the watch alive cluster-wide until `stop`. */
  watch(userId: string): () => void {
    let entry = this.local.get(userId);
    if (!entry) {
      const created = { viewers: 0, timer: null as unknown };
      const refresh = () => {
        if (this.local.get(userId) !== created) return;
        this.announce(userId);
        created.timer = this.opts.clock.setTimeout(refresh, Math.floor(WATCH_TTL_MS / 3));
      };
      this.local.set(userId, (entry = created));
      refresh();
    }
    entry.viewers++;
    const own = entry;
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (--own.viewers > 0 || this.local.get(userId) !== own) return;
      this.local.delete(userId);
      this.opts.clock.clearTimeout(own.timer);
    };
  }

  async close(): Promise<void> {
    for (const entry of this.local.values()) this.opts.clock.clearTimeout(entry.timer);
    this.local.clear();
    if (this.sweeper !== null) this.opts.clock.clearTimeout(this.sweeper);
    await this.unsubscribe?.().catch(() => {});
  }

  /** How long one announcement keeps a trace written: the watch, then its tail. */
  private get lifeMs(): number {
    return WATCH_TTL_MS + this.opts.settings.tailMs;
  }

  private heard(userId: string, forMs: number): void {
    const was = this.writes(userId);
    const until = this.opts.clock.now() + forMs;
    if ((this.writeUntil.get(userId) ?? 0) < until) this.writeUntil.set(userId, until);
    if (!was) this.opts.began(userId);
  }

  /**
   * The key (for whoever takes the user over next) and the stream's life (so it outlives the
   * watch by the tail even when the user is quiet) in one round trip on the user's slot, then the
   * announcement to the owner (none when this node is the owner: it notes it at once anyway).
   */
  private announce(userId: string): void {
    this.heard(userId, this.lifeMs);
    const pipe = this.opts.redis.pipeline();
    pipe.set(redisKeys.traceWatch(userId), this.opts.nodeId, 'PX', this.lifeMs);
    pipe.pexpire(redisKeys.trace(userId), this.lifeMs, 'GT');
    pipe.exec().catch((err: unknown) => this.opts.log.warn({ err, userId }, 'trace: could not mark a watch in Redis'));
    const owner = this.opts.ownerOf(userId);
    if (owner === null || owner === this.opts.nodeId) return;
    this.opts.bus.publish(watchChannel(owner), userId).catch((err: unknown) => this.opts.log.warn({ err, userId }, 'trace: could not announce a watch'));
  }
}

/** Whether the user is in the sampled share `rate` (by a hash of the id: the same answer on every node). */
export function isSampled(userId: string, rate: number): boolean {
  return rate > 0 && fnv1a(userId) < rate * 2 ** 32;
}

/** FNV-1a, 32 bits. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

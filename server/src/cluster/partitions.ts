import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import type { PartitionChange } from '../metrics/metrics.ts';
import { withTimeout } from '../with-timeout.ts';
import type { Held, Ownership, TickResult } from './ownership.ts';
import { ownerTable, partitionOf } from './rendezvous.ts';

/** What the node does when partitions come and go (the Mesh). */
export interface PartitionsHost {
  /** The partition is no longer this node's by rendezvous: hand its sessions over; the lease is released once this resolves. */
  handOver(partition: number): Promise<void>;
  /** The partition's lease is gone (another node holds it): stop its sessions here without writing. */
  lost(partition: number): void;
}

export interface PartitionsOptions {
  node: string;
  /** PARTITIONS: the same on every node. */
  count: number;
  /** How long a lease (and the membership) lasts without a tick. */
  ttlMs: number;
  ownership: Ownership;
  clock: Clock;
  log: Log;
  host: PartitionsHost;
  /** [0, 1): jitter. @default Math.random */
  random?: () => number;
  /** `count` partitions changed hands this way in one tick (metrics). */
  changed?: (change: PartitionChange, count: number) => void;
}

/** PARTITIONS' default. */
export const DEFAULT_PARTITIONS = 1024;
/** While partitions are wanted but not held (a takeover, a join), ticks come this often instead of every TTL/3. */
const FAST_TICK_MS = 200;
/** How long after another member's expected lapse this node looks (clocks and the tick's own time). */
const LAPSE_MARGIN_MS = 50;
/** A node that has not settled this many TTLs after its first tick counts as settled anyway (and says so): readiness never waits for good. */
const SETTLE_LIMIT_TTLS = 4;

/**
 * This node's view of partition ownership: the live members (from its ticks), the owner of every
 * partition (rendezvous over them, computed here: no Redis round trip per user), and the
 * partitions it holds. One tick (one script) every TTL/3, jittered, however many users there are:
 * heartbeat, renewal of every held partition, releases, and acquisition of the partitions that are
 * this node's by rendezvous but not held yet (more often while there are any).
 *
 * After a stall longer than the TTL (this node found itself no longer a member) and at start, it
 * waits half the TTL and a random share of the other half before taking partitions it did not
 * hold, so the nodes coming back (each retrying every 200 ms) do not race for each other's
 * partitions: each renews (takes back) its own first, and is a member again before anyone looks.
 */
export class Partitions {
  private members: string[] = [];
  private owners: Array<string | null>;
  /** Held partitions and their tokens. */
  private readonly held = new Map<number, number>();
  /** Held, no longer ours by rendezvous: sessions being handed over. */
  private readonly leaving = new Set<number>();
  /** Handed over: released on the next tick. */
  private readonly releasing = new Map<number, number>();
  private readonly waiters = new Map<number, Array<() => void>>();
  private acquireAfter = 0;
  private failing = false;
  /** When the first other member lapses unless it ticks (this node's clock), or 0. */
  private nextLapseAt = 0;
  private ticks = 0;
  private timer: unknown = null;
  private running: Promise<void> | null = null;
  private leavingAll = false;
  private stopped = false;
  /** When the first tick succeeded (0: not yet), and whether this node has settled since (see `settled`). */
  private firstTickAt = 0;
  private settledOnce = false;
  private readonly random: () => number;

  constructor(private readonly opts: PartitionsOptions) {
    this.owners = new Array<string | null>(opts.count).fill(null);
    this.random = opts.random ?? Math.random;
  }

  /** First tick (membership), then ticking on. Rejects when the running nodes use another PARTITIONS. */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  /** The user's partition. */
  partitionOf(userId: string): number {
    return partitionOf(userId, this.opts.count);
  }

  /** The owner of the user's partition among the live members (null before any is known). */
  ownerOf(userId: string): string | null {
    return this.owners[this.partitionOf(userId)] ?? null;
  }

  /** The fencing token of the partition, if this node holds it and it is still its own (not being handed over). */
  tokenOf(partition: number): number | undefined {
    return this.leaving.has(partition) ? undefined : this.held.get(partition);
  }

  /** Whether the partition is held here (also while it is being handed over). */
  holds(partition: number): boolean {
    return this.held.has(partition);
  }

  /**
   * Whether this node has settled since it started: its first tick done and every partition that
   * rendezvous gives it held (handed over by the previous holders, or lapsed and taken), so its
   * users' first commands do not wait for ownership. Once true it stays true (a node dying
   * elsewhere must not make every survivor unready); after SETTLE_LIMIT_TTLS it is true anyway.
   */
  get settled(): boolean {
    if (this.settledOnce || this.firstTickAt === 0) return this.settledOnce;
    const late = this.opts.clock.now() - this.firstTickAt > SETTLE_LIMIT_TTLS * this.opts.ttlMs;
    if (this.wanted().length === 0 || late) {
      this.settledOnce = true;
      if (late) this.opts.log.warn({ wanted: this.wanted().length }, 'partitions: not all of this node\'s partitions are held yet; reporting ready anyway');
    }
    return this.settledOnce;
  }

  get heldCount(): number {
    return this.held.size;
  }

  get liveMembers(): readonly string[] {
    return this.members;
  }

  /** Resolves when this node holds the partition, when the members change, or after `ms`: whichever first. */
  whenHeld(partition: number, ms: number): Promise<void> {
    if (this.tokenOf(partition) !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const list = this.waiters.get(partition) ?? [];
      this.waiters.set(partition, list);
      const done = () => {
        this.opts.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.opts.clock.setTimeout(() => {
        const i = list.indexOf(done);
        if (i >= 0) list.splice(i, 1);
        resolve();
      }, ms);
      list.push(done);
      this.soon();
    });
  }

  /**
   * Draining: leave the membership (the others take this node's partitions as they are released),
   * hand every partition's sessions over, release them all.
   */
  async leave(): Promise<void> {
    this.leavingAll = true;
    this.members = this.members.filter((m) => m !== this.opts.node);
    this.owners = ownerTable(this.members, this.opts.count);
    await this.tick().catch(() => {});
    await Promise.allSettled([...this.held.keys()].map((p) => this.handOver(p)));
    for (let i = 0; i < 5 && this.releasing.size > 0; i++) await this.tick().then(() => this.tick());
  }

  stop(): void {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.opts.clock.clearTimeout(this.timer);
    // A failed tick (Redis stalled or unreachable) is tried again soon, so the node is back as soon as Redis is.
    const base = this.failing || this.wanted().length > 0 || this.releasing.size > 0 ? FAST_TICK_MS : this.opts.ttlMs / 3;
    // ±20 % so the nodes' ticks do not line up; and just after another member would lapse (a node
    // killed): its partitions are found ownerless within the TTL and one fast tick, not a whole interval later.
    let ms = Math.max(10, Math.floor(base * (0.8 + 0.4 * this.random())));
    if (this.nextLapseAt > 0) ms = Math.max(10, Math.min(ms, Math.ceil(this.nextLapseAt - this.opts.clock.now()) + LAPSE_MARGIN_MS));
    this.timer = this.opts.clock.setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, ms);
    (this.timer as { unref?: () => void } | null)?.unref?.();
  }

  /** Tick soon (something is wanted now). */
  private soon(): void {
    if (this.running || this.stopped) return;
    this.opts.clock.clearTimeout(this.timer);
    this.timer = this.opts.clock.setTimeout(() => void this.tick().finally(() => this.schedule()), Math.floor(FAST_TICK_MS * this.random()));
  }

  /** Partitions that are this node's by rendezvous and not held. */
  private wanted(): number[] {
    if (this.leavingAll || this.stopped) return [];
    const out: number[] = [];
    for (let p = 0; p < this.opts.count; p++) if (this.owners[p] === this.opts.node && !this.held.has(p)) out.push(p);
    return out;
  }

  private tick(): Promise<void> {
    if (this.running) return this.running;
    const run = this.runTick().finally(() => (this.running = null));
    this.running = run;
    return run;
  }

  private async runTick(): Promise<void> {
    const { clock, node, ttlMs } = this.opts;
    const renew: Held[] = [...this.held].filter(([p]) => !this.releasing.has(p)).map(([partition, token]) => ({ partition, token }));
    const release: Held[] = [...this.releasing].map(([partition, token]) => ({ partition, token }));
    const acquire = clock.now() >= this.acquireAfter ? this.wanted() : [];
    let result: TickResult;
    try {
      result = await withTimeout(this.opts.ownership.tick({ node, ttlMs, renew, release, acquire, leave: this.leavingAll, partitions: this.opts.count }), ttlMs / 2, undefined, clock);
    } catch (err) {
      if (!this.failing) this.opts.log.warn({ err }, 'partitions: tick failed; trying again');
      this.failing = true;
      this.nextLapseAt = 0;
      return;
    }
    if (result.partitionsInUse !== undefined) {
      const message = `PARTITIONS=${this.opts.count} differs from the ${result.partitionsInUse} the running nodes use: PARTITIONS must be the same on every node (change it only with every node stopped)`;
      if (this.ticks === 0) throw new Error(message);
      this.opts.log.error({ partitions: this.opts.count, inUse: result.partitionsInUse }, message);
      this.failing = true;
      return;
    }
    this.failing = false;
    this.nextLapseAt = result.nextLapseMs === null ? 0 : clock.now() + result.nextLapseMs;
    const first = this.ticks++ === 0;
    if (first) this.firstTickAt = clock.now();
    const changed = (change: PartitionChange, count: number) => {
      if (count > 0) this.opts.changed?.(change, count);
    };
    changed('released', release.length);
    let lost = 0;
    for (const { partition } of release) {
      this.releasing.delete(partition);
      this.leaving.delete(partition);
      this.held.delete(partition);
    }
    for (const p of result.lost) {
      if (!this.held.has(p)) continue;
      lost++;
      this.held.delete(p);
      this.leaving.delete(p);
      this.opts.host.lost(p);
    }
    for (const { partition, token } of result.acquired) {
      this.held.set(partition, token);
      for (const done of this.waiters.get(partition)?.splice(0) ?? []) done();
    }
    changed('lost', lost);
    changed('acquired', result.acquired.length - result.takenOver.length);
    changed('taken-over', result.takenOver.length);
    if (result.acquired.length) this.opts.log.info({ partitions: result.acquired.length, held: this.held.size }, 'partitions: acquired');
    if (!result.wasMember && !this.leavingAll) {
      // First tick, or back after a stall longer than the TTL: take nothing new for a random
      // share of the TTL, so the other nodes renew their own first.
      this.acquireAfter = clock.now() + ttlMs / 2 + (this.random() * ttlMs) / 2;
      if (!first) this.opts.log.warn({ held: this.held.size }, 'partitions: this node was not a member any more (a stall longer than the TTL?); renewing, taking nothing new for a while');
    }
    const members = this.leavingAll ? result.members.filter((m) => m !== node) : result.members;
    if (members.join(',') !== this.members.join(',')) {
      this.opts.log.info({ members }, 'partitions: members changed');
      this.members = members;
      this.owners = ownerTable(members, this.opts.count);
      // Whoever waits for a partition looks again: it may be another node's now.
      for (const list of this.waiters.values()) for (const done of list.splice(0)) done();
      if (!this.leavingAll) {
        for (const p of this.held.keys()) if (this.owners[p] !== node && !this.leaving.has(p)) void this.handOver(p);
      }
    }
  }

  /** Hand the partition's sessions over, then release it on the next tick. */
  private async handOver(partition: number): Promise<void> {
    if (this.leaving.has(partition) && !this.leavingAll) return;
    this.leaving.add(partition);
    try {
      await this.opts.host.handOver(partition);
    } catch (err) {
      this.opts.log.warn({ err, partition }, 'partitions: handing over failed; releasing anyway');
    }
    // Stays `leaving` until released: no session of it opens here again.
    const token = this.held.get(partition);
    if (token !== undefined) this.releasing.set(partition, token);
    this.soon();
  }
}

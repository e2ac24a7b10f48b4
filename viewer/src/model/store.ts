import { Density } from './density.ts';
import { EMPTY_FILTER, matcher, searchText, type Filter } from './filter.ts';
import { ProblemDetector } from './problems.ts';
import { TransferIndex } from './transfers.ts';
import type { Cluster, Gap, TraceBaseline, TraceEvent } from './types.ts';
import { applyEvent, cloneWorld, emptyWorld, settleSwitches, worldFrom, type World } from './world.ts';

/** A full copy of the world is kept every this many events, so time travel replays at most that many. */
const CHECKPOINT_EVERY = 2000;
/** Live: at most this many events are held; the oldest are dropped in chunks past it (and can be fetched again from the hub while its ring holds them). */
export const DEFAULT_MAX_EVENTS = 50_000;
/** Live: how often components are told of new events (see `notifyEveryMs`). */
const LIVE_NOTIFY_MS = 150;

/**
 * Seq -> index into `events`. Dropping events from the front moves every index down; entries hold
 * positions counted from the first event ever held, so a drop deletes only the dropped seqs
 * instead of renumbering all 50,000 (which was one long task every few seconds in the live tail).
 */
export class SeqIndex {
  private readonly map = new Map<number, number>();
  private base = 0;

  get(seq: number): number | undefined {
    const at = this.map.get(seq);
    return at === undefined ? undefined : at - this.base;
  }

  has(seq: number): boolean {
    return this.map.has(seq);
  }

  set(seq: number, index: number): void {
    this.map.set(seq, index + this.base);
  }

  clear(): void {
    this.map.clear();
    this.base = 0;
  }

  /** The first `n` of `events` are dropped: their seqs go, and every other index moves down by `n`. */
  dropFront(events: readonly { seq: number }[], n: number): void {
    for (let i = 0; i < n; i++) this.map.delete(events[i]!.seq);
    this.base += n;
  }
}

export type Source = { kind: 'none' } | { kind: 'live'; userId: string } | { kind: 'file'; name: string; userId: string | null };

/** A run: the events of one life of the hub's trace (a restart or a move to another node starts another). */
export interface Run {
  bootId: string;
  /** The run before this one, as it ended: what it held, for the marker. */
  previous: { bootId: string; firstSeq: number; lastSeq: number; events: number; endedTs: number } | null;
}

/**
 * Everything the viewer knows, outside React: the events in seq order, what is derived from them
 * (world now and checkpoints for time travel, transfers, problems, lanes) and the filtered view.
 * Appending is incremental; components re-render on `version`, at most once per frame (live: per
 * `notifyEveryMs`, rendered as a transition, see `useStore`). While held
 * (the view paused), events are only queued.
 */
export class TraceStore {
  events: TraceEvent[] = [];
  readonly indexOfSeq = new SeqIndex();
  /** Device lanes in the order devices first appeared. */
  lanes: string[] = [];
  private laneSet = new Set<string>();
  world: World = emptyWorld();
  /** The world before the first event held (the hub's baseline, or empty), and copies every CHECKPOINT_EVERY events. */
  private base: World = emptyWorld();
  private checkpoints: Array<{ index: number; world: World }> = [];
  transfers = new TransferIndex();
  problems = new ProblemDetector();
  gaps: Gap[] = [];
  /** Events per lane in time bins, for the timeline. */
  density = new Density();
  /** The cluster the hub sent in its hello, for when the events hold no cluster yet. */
  helloCluster: Cluster | null = null;
  /** The baseline the hub sent, when it had evicted events (throughSeq > 0). */
  baseline: TraceBaseline | null = null;
  run: Run | null = null;
  source: Source = { kind: 'none' };
  filter: Filter = EMPTY_FILTER;
  /** Why the filter matches nothing by construction (a bad regular expression), or null. */
  filterError: string | null = null;
  /** Indices into `events` that pass the filter. */
  filtered: number[] = [];
  private match = matcher(EMPTY_FILTER, () => '', () => false).test;
  private texts: string[] = [];
  /** Events dropped from the front past the cap: seqs dropped.fromSeq..dropped.toSeq. */
  dropped: { fromSeq: number; toSeq: number; count: number } | null = null;
  maxEvents = DEFAULT_MAX_EVENTS;
  /** Paused: arriving events wait here, untouched, until `release()`. */
  held: TraceEvent[] | null = null;
  version = 0;
  /**
   * Components are told at most this often (ms). Live, a few updates a second keep the newest event
   * on screen well within half a second while leaving the page idle most of the time; 0: every frame.
   */
  notifyEveryMs = 0;
  private lastNotify = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Time spent deriving (ms), for the status line and the benchmark. */
  lastLoadMs = 0;
  private readonly listeners = new Set<() => void>();
  private frame: number | null = null;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  get lastSeq(): number {
    return this.held?.at(-1)?.seq ?? this.events[this.events.length - 1]?.seq ?? 0;
  }

  /** Start over, for a new source. */
  reset(source: Source): void {
    this.events = [];
    this.indexOfSeq.clear();
    this.lanes = [];
    this.laneSet = new Set();
    this.world = emptyWorld();
    this.base = emptyWorld();
    this.checkpoints = [];
    this.transfers = new TransferIndex();
    this.problems = new ProblemDetector();
    this.gaps = [];
    this.density = new Density();
    this.helloCluster = null;
    this.baseline = null;
    this.run = null;
    this.texts = [];
    this.filtered = [];
    this.dropped = null;
    this.held = this.held && [];
    this.source = source;
    this.notifyEveryMs = source.kind === 'live' ? LIVE_NOTIFY_MS : 0;
    this.changed(true);
  }

  /** Live: the hub's hello. A new boot id starts a new run (seqs of two runs are never merged). */
  hello(bootId: string, baseline: TraceBaseline, cluster: Cluster | null, serverTime: number): 'same' | 'new-run' {
    if (this.run?.bootId === bootId) {
      this.helloCluster = cluster;
      return 'same';
    }
    const before = this.run;
    const previous = before
      ? {
          bootId: before.bootId,
          firstSeq: this.events[0]?.seq ?? 0,
          lastSeq: this.lastSeq,
          events: this.events.length + (this.held?.length ?? 0),
          endedTs: serverTime,
        }
      : null;
    this.reset(this.source);
    this.run = { bootId, previous };
    this.startFrom(baseline, cluster);
    return before ? 'new-run' : 'same';
  }

  /** Begin from what the hub says the evicted events had left: connections, roles, sound, revisions, clocks. */
  startFrom(baseline: TraceBaseline, cluster: Cluster | null): void {
    this.helloCluster = cluster;
    if (baseline.throughSeq === 0 || this.events.length > 0) return;
    this.baseline = baseline;
    this.base = worldFrom(baseline, cluster);
    this.world = cloneWorld(this.base);
    for (const d of baseline.devices) this.addLane(d.id);
    this.changed(true);
  }

  /** Pause: from now on events are only queued. */
  hold(): void {
    this.held ??= [];
  }

  /** Resume: apply what was queued. */
  release(): void {
    const held = this.held;
    this.held = null;
    if (held?.length) this.append(held);
    else this.changed(true);
  }

  /** New events. In seq order after what we have: appended. Otherwise (filling a gap): merged and derived again. */
  append(events: readonly TraceEvent[]): void {
    if (events.length === 0) return;
    if (this.held) {
      for (const e of events) this.held.push(e);
      return;
    }
    const fresh = events.filter((e) => !this.indexOfSeq.has(e.seq) && (!this.dropped || e.seq > this.dropped.toSeq));
    if (fresh.length === 0) return;
    const inOrder = fresh.every((e, i) => e.seq > (i === 0 ? this.lastSeq : fresh[i - 1]!.seq));
    if (!inOrder) return this.rederive(fresh);
    const started = performance.now();
    for (const e of fresh) this.derive(e);
    // Only live: a file is bounded by its size, and the user asked for all of it.
    if (this.source.kind === 'live' && this.events.length > this.maxEvents * 1.1) this.dropOldest(this.events.length - this.maxEvents);
    this.lastLoadMs = performance.now() - started;
    this.changed();
  }

  addGap(gap: Gap): void {
    this.gaps.push(gap);
    this.changed();
  }

  /** Live: check deadlines against the hub's clock now, not only at the next event. */
  tick(serverNow: number): void {
    const last = this.events[this.events.length - 1];
    if (!last || this.held) return;
    const before = this.problems.list.length;
    this.problems.checkDeadlines(last, serverNow, this.transfers.pending.values());
    if (this.problems.list.length !== before) this.changed();
  }

  setFilter(filter: Filter): void {
    this.filter = filter;
    const m = matcher(filter, (i) => this.textOf(i), (seq) => this.problems.bySeq.has(seq));
    this.match = m.test;
    this.filterError = m.error;
    const out: number[] = [];
    const { events } = this;
    for (let i = 0; i < events.length; i++) if (this.match(events[i]!, i)) out.push(i);
    this.filtered = out;
    this.changed(true);
  }

  /** The world right after event `index`: the nearest checkpoint, replayed forward. */
  worldAt(index: number): World {
    let lo = 0;
    let hi = this.checkpoints.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.checkpoints[mid]!.index <= index) lo = mid;
      else hi = mid - 1;
    }
    const cp = this.checkpoints[lo];
    const [from, start] = cp && cp.index <= index ? [cp.index + 1, cp.world] : [0, this.base];
    const w = cloneWorld(start);
    for (let i = from; i <= index; i++) applyEvent(w, this.events[i]!);
    if (this.events[index]) settleSwitches(w, this.events[index].ts);
    return w;
  }

  /** The cluster before event `index` (for diffs): the world at index - 1. */
  clusterBefore(index: number): Cluster | null {
    return index > 0 ? this.worldAt(index - 1).cluster : this.base.cluster;
  }

  eventBySeq(seq: number): TraceEvent | undefined {
    const i = this.indexOfSeq.get(seq);
    return i === undefined ? undefined : this.events[i];
  }

  /** Why an event is not here: evicted by the hub, dropped past the cap, in a gap, or never seen. */
  whyMissing(seq: number): string {
    const first = this.events[0]?.seq;
    if (this.dropped && seq >= this.dropped.fromSeq && seq <= this.dropped.toSeq)
      return `Event #${seq} was dropped from this view (it holds at most ${this.maxEvents.toLocaleString('en')} events).`;
    const gap = this.gaps.find((g) => seq >= g.fromSeq && seq <= g.toSeq);
    if (gap) return `Event #${seq} is in a gap the hub did not send (${gap.reason}).`;
    if (this.baseline && seq <= this.baseline.throughSeq)
      return `Event #${seq} was evicted from the hub's ring before this view opened; it now starts at #${first ?? this.baseline.throughSeq + 1}.`;
    if (first !== undefined && seq < first) return `Event #${seq} is older than the oldest event here (#${first}).`;
    return `Event #${seq} is not in this trace (it ends at #${this.lastSeq || '–'}).`;
  }

  /** Events caused by `seq` (whose parentSeq is it). */
  childrenOf(seq: number, limit = 50): TraceEvent[] {
    const start = this.indexOfSeq.get(seq);
    if (start === undefined) return [];
    const out: TraceEvent[] = [];
    for (let i = start + 1; i < this.events.length && out.length < limit && i < start + 5000; i++) {
      if (this.events[i]!.parentSeq === seq) out.push(this.events[i]!);
    }
    return out;
  }

  private derive(e: TraceEvent): void {
    const index = this.events.length;
    this.events.push(e);
    this.indexOfSeq.set(e.seq, index);
    if (e.deviceId) this.addLane(e.deviceId);
    if (e.recipients) for (const id of e.recipients) this.addLane(id);
    applyEvent(this.world, e);
    this.density.add(e.ts, e.deviceId ?? 'hub', e.deviceId !== undefined && (e.kind === 'message.in' || e.kind === 'message.out'));
    if (e.recipients) for (const id of e.recipients) this.density.link(e.ts, id);
    this.transfers.apply(e);
    this.problems.check(e, this.world, this.transfers);
    if (index % CHECKPOINT_EVERY === 0) this.checkpoints.push({ index, world: cloneWorld(this.world) });
    if (this.match(e, index)) this.filtered.push(index);
  }

  private addLane(id: string): void {
    if (this.laneSet.has(id)) return;
    this.laneSet.add(id);
    this.lanes.push(id);
  }

  /** Events out of order (a gap filled): everything derived again, in seq order, from the same start. */
  private rederive(fresh: TraceEvent[]): void {
    const all = [...this.events, ...fresh].sort((a, b) => a.seq - b.seq);
    const { source, gaps, helloCluster, filter, baseline, run, dropped, base } = this;
    this.reset(source);
    Object.assign(this, { helloCluster, baseline, run, dropped, base, world: cloneWorld(base) });
    this.gaps = gaps.filter((g) => !all.some((e) => e.seq >= g.fromSeq && e.seq <= g.toSeq));
    this.setFilter(filter);
    this.append(all);
  }

  /** Past the cap: drop the oldest `n` events; the world before the rest becomes the new base. */
  private dropOldest(n: number): void {
    const cut = Math.min(n, this.events.length);
    if (cut <= 0) return;
    this.base = this.worldAt(cut - 1);
    const gone = this.events[cut - 1]!.seq;
    this.dropped = {
      fromSeq: this.dropped?.fromSeq ?? this.events[0]!.seq,
      toSeq: gone,
      count: (this.dropped?.count ?? 0) + cut,
    };
    this.indexOfSeq.dropFront(this.events, cut);
    this.events = this.events.slice(cut);
    this.texts = this.texts.slice(cut);
    this.checkpoints = this.checkpoints.filter((c) => c.index >= cut).map((c) => ({ index: c.index - cut, world: c.world }));
    const kept: number[] = [];
    for (const i of this.filtered) if (i >= cut) kept.push(i - cut);
    this.filtered = kept;
    // Transfers and problems are bounded with the events: what ended before the cut goes with them.
    this.transfers.forget(gone);
    this.problems.forget(gone, this.transfers.pending);
  }

  private textOf(index: number): string {
    return (this.texts[index] ??= searchText(this.events[index]!));
  }

  /** Tell components, once per animation frame (or now). */
  private changed(now = false): void {
    this.version++;
    if (now || typeof requestAnimationFrame === 'undefined') return this.notify();
    if (this.frame !== null || this.timer !== null) return;
    const wait = this.notifyEveryMs - (performance.now() - this.lastNotify);
    // Live, in a task of its own rather than an animation frame: the render then never shares one
    // task with the frame's style, layout and paint.
    if (this.notifyEveryMs > 0) this.timer = setTimeout(() => this.notify(), Math.max(0, wait));
    else this.frame = requestAnimationFrame(() => this.notify());
  }

  private notify(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    if (this.timer !== null) clearTimeout(this.timer);
    this.frame = null;
    this.timer = null;
    this.lastNotify = performance.now();
    for (const l of this.listeners) l();
  }
}

import { AnomalyDetector } from './anomalies.ts';
import { EMPTY_FILTER, matcher, searchText, type Filter } from './filter.ts';
import { TransferIndex } from './transfers.ts';
import type { Cluster, Gap, TraceEvent } from './types.ts';
import { applyEvent, cloneWorld, emptyWorld, settleSwitches, type World } from './world.ts';

/** A full copy of the world is kept every this many events, so time travel replays at most that many. */
const CHECKPOINT_EVERY = 2000;

export type Source = { kind: 'none' } | { kind: 'live'; userId: string } | { kind: 'file'; name: string; userId: string | null };

/**
 * Everything the viewer knows, outside React: the events in seq order, what is derived from them
 * (world now and checkpoints for time travel, transfers, anomalies, lanes) and the filtered view.
 * Appending is incremental; components re-render on `version`, at most once per frame.
 */
export class TraceStore {
  events: TraceEvent[] = [];
  readonly indexOfSeq = new Map<number, number>();
  /** Device lanes in the order devices first appeared. */
  lanes: string[] = [];
  private laneSet = new Set<string>();
  world: World = emptyWorld();
  private checkpoints: Array<{ index: number; world: World }> = [];
  transfers = new TransferIndex();
  anomalies = new AnomalyDetector();
  gaps: Gap[] = [];
  /** The cluster the hub sent in its hello, for when the events hold no cluster yet. */
  helloCluster: Cluster | null = null;
  source: Source = { kind: 'none' };
  filter: Filter = EMPTY_FILTER;
  /** Indices into `events` that pass the filter. */
  filtered: number[] = [];
  private match = matcher(EMPTY_FILTER, () => '');
  private texts: string[] = [];
  version = 0;
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
    return this.events[this.events.length - 1]?.seq ?? 0;
  }

  /** Start over, for a new source. */
  reset(source: Source): void {
    this.events = [];
    this.indexOfSeq.clear();
    this.lanes = [];
    this.laneSet = new Set();
    this.world = emptyWorld();
    this.checkpoints = [];
    this.transfers = new TransferIndex();
    this.anomalies = new AnomalyDetector();
    this.gaps = [];
    this.helloCluster = null;
    this.texts = [];
    this.filtered = [];
    this.source = source;
    this.changed(true);
  }

  /** New events. In seq order after what we have: appended. Otherwise (filling a gap): merged and derived again. */
  append(events: readonly TraceEvent[]): void {
    if (events.length === 0) return;
    const fresh = events.filter((e) => !this.indexOfSeq.has(e.seq));
    if (fresh.length === 0) return;
    const inOrder = fresh.every((e, i) => e.seq > (i === 0 ? this.lastSeq : fresh[i - 1]!.seq));
    if (!inOrder) {
      const all = [...this.events, ...fresh].sort((a, b) => a.seq - b.seq);
      const { source, gaps, helloCluster, filter } = this;
      this.reset(source);
      this.gaps = gaps.filter((g) => !all.some((e) => e.seq >= g.fromSeq && e.seq <= g.toSeq));
      this.helloCluster = helloCluster;
      this.filter = filter;
      this.match = matcher(filter, (i) => this.textOf(i));
      return this.append(all);
    }
    const started = performance.now();
    for (const e of fresh) {
      const index = this.events.length;
      this.events.push(e);
      this.indexOfSeq.set(e.seq, index);
      for (const lane of e.recipients ?? (e.deviceId ? [e.deviceId] : [])) {
        if (this.laneSet.has(lane)) continue;
        this.laneSet.add(lane);
        this.lanes.push(lane);
      }
      applyEvent(this.world, e);
      this.transfers.apply(e);
      this.anomalies.check(e, this.world, this.pendingTransfers());
      if (index % CHECKPOINT_EVERY === 0) this.checkpoints.push({ index, world: cloneWorld(this.world) });
      if (this.match(e, index)) this.filtered.push(index);
    }
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
    if (!last) return;
    const before = this.anomalies.list.length;
    this.anomalies.checkDeadlines(last, serverNow, this.pendingTransfers());
    if (this.anomalies.list.length !== before) this.changed();
  }

  setFilter(filter: Filter): void {
    this.filter = filter;
    this.match = matcher(filter, (i) => this.textOf(i));
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
    if (!cp || cp.index > index) return emptyWorld();
    const w = cloneWorld(cp.world);
    for (let i = cp.index + 1; i <= index; i++) applyEvent(w, this.events[i]!);
    settleSwitches(w, this.events[index]!.ts);
    return w;
  }

  /** The cluster before event `index` (for diffs): the world at index - 1. */
  clusterBefore(index: number): Cluster | null {
    return index > 0 ? this.worldAt(index - 1).cluster : null;
  }

  eventBySeq(seq: number): TraceEvent | undefined {
    const i = this.indexOfSeq.get(seq);
    return i === undefined ? undefined : this.events[i];
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

  private pendingTransfers() {
    return this.transfers.pending.values();
  }

  private textOf(index: number): string {
    return (this.texts[index] ??= searchText(this.events[index]!));
  }

  /** Tell components, once per animation frame (or now). */
  private changed(now = false): void {
    this.version++;
    if (now || typeof requestAnimationFrame === 'undefined') return this.notify();
    this.frame ??= requestAnimationFrame(() => this.notify());
  }

  private notify(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    for (const l of this.listeners) l();
  }
}

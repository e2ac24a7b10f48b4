/** At most this many bins per lane; past it, bins double in width (pairs merged). */
const MAX_BINS = 2048;

/**
 * Events per lane in time bins, kept as events arrive, so the timeline draws from bins (a cost
 * that does not grow with the trace) instead of walking every event on every frame. A bin's
 * width starts at 1 ms and doubles whenever the trace outgrows MAX_BINS bins.
 */
export class Density {
  binMs = 1;
  origin: number | null = null;
  /** Per lane: event counts per bin. */
  readonly counts = new Map<string, number[]>();
  /** Per lane: whether a message crossed between the hub and the lane in the bin. */
  readonly links = new Map<string, number[]>();

  add(ts: number, lane: string, message: boolean): void {
    const bin = this.bin(ts);
    if (bin < 0) return;
    const counts = this.lane(this.counts, lane);
    counts[bin] = (counts[bin] ?? 0) + 1;
    if (message) this.lane(this.links, lane)[bin] = 1;
  }

  /** A message to `lane` at `ts` without counting an event there (a push's recipients). */
  link(ts: number, lane: string): void {
    const bin = this.bin(ts);
    if (bin >= 0) this.lane(this.links, lane)[bin] = 1;
  }

  private bin(ts: number): number {
    this.origin ??= ts;
    let bin = Math.floor((ts - this.origin) / this.binMs);
    while (bin >= MAX_BINS) {
      this.coarsen();
      bin = Math.floor((ts - this.origin) / this.binMs);
    }
    return bin;
  }

  /** Per pixel column: counts of `lane` between t0 and t1 over `cols` columns (bins spread over the columns they cover). */
  columns(lane: string, t0: number, t1: number, cols: number, into: Uint16Array, linksInto?: Uint8Array): void {
    into.fill(0);
    linksInto?.fill(0);
    const counts = this.counts.get(lane);
    if (!counts || this.origin === null) return;
    const links = this.links.get(lane);
    const first = Math.max(0, Math.floor((t0 - this.origin) / this.binMs));
    const last = Math.min(counts.length - 1, Math.ceil((t1 - this.origin) / this.binMs));
    const k = cols / (t1 - t0);
    for (let b = first; b <= last; b++) {
      const n = counts[b];
      if (!n) continue;
      const c = Math.floor((this.origin + b * this.binMs - t0) * k);
      if (c < 0 || c >= cols) continue;
      into[c] = Math.min(65535, into[c]! + n);
      if (linksInto && links?.[b]) linksInto[c] = 1;
    }
  }

  private lane(map: Map<string, number[]>, id: string): number[] {
    let list = map.get(id);
    if (!list) {
      list = [];
      map.set(id, list);
    }
    return list;
  }

  private coarsen(): void {
    this.binMs *= 2;
    for (const map of [this.counts, this.links]) {
      for (const [id, list] of map) {
        const merged: number[] = [];
        for (let i = 0; i < list.length; i += 2) {
          const a = list[i] ?? 0;
          const b = list[i + 1] ?? 0;
          merged.push(map === this.counts ? a + b : a || b ? 1 : 0);
        }
        map.set(id, merged);
      }
    }
  }
}

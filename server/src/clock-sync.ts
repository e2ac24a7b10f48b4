/**
 * One device's clock, estimated from four timestamps per exchange: the hub sends at t0 (server
 * clock), the device receives at t1 and answers at t2 (device clock), the hub receives at t3.
 *
 * Every exchange bounds the offset (how far the device clock is ahead) from both sides, since
 * neither trip can take less than nothing: offset <= t1 - t0 and offset >= t2 - t3. The classic
 * NTP filter keeps the one exchange with the lowest round trip and takes the middle of its own
 * two bounds, so its error is half that exchange's jitter. Intersecting the bounds of every recent
 * exchange instead takes the fastest trip out and the fastest trip back from whichever exchanges
 * had them (the lower envelope of each direction's delays), which is far tighter on a jittery
 * link. Clocks drift (tens of ppm), so older bounds are carried to the present along a drift
 * rate: the middle of the rates (within +-maxDriftPpm) at which all the recent exchanges' bounds
 * still agree, the convex-hull view of clock skew (Moon et al. 1999) with both directions at
 * once. Until the exchanges span enough time to pin the rate, that range is the symmetric
 * allowance and its middle is no drift: the allowance widens the error bound, not the estimate.
 */
export interface ClockEstimate {
  /** Device clock minus server clock at the newest exchange. */
  offsetMs: number;
  /** Bound on the offset's error: half the width of what the intersected bounds leave, over every drift rate they agree with. */
  errorMs: number;
  /** Round trip of the fastest recent exchange. */
  rttMs: number;
  /**
   * Highest round trip among the exchanges of the last 30 s (the newest at least): what a scheduled
   * switch must allow for. Not all 32 kept: at one per heartbeat those span minutes, and a moment
   * of load (a connect storm's round trips of seconds) would set every switch's lead long after.
   */
  recentMaxRttMs: number;
  /** How fast the device clock gains on the server's, in ppm (0 until enough exchanges span enough time to tell). */
  driftPpm: number;
  samples: number;
}

/** The span of exchanges whose round trips say how slow the link is now (`recentMaxRttMs`). */
const RECENT_RTT_MS = 30_000;

/** How far below zero (in ms) a width may be at a rate still taken as the edge of agreement: rounding, not disagreement. */
const EDGE_MS = 1e-9;

/** Exchanges the storage first has room for; it doubles up to `keep` as exchanges come. */
const FIRST_ROOM = 4;

/**
 * The last `keep` exchanges, in one array of numbers (send time, upper bound, lower bound per
 * exchange): a device holds one for its whole connection. The array starts with room for a few
 * exchanges and doubles, up to `keep`, as they come: a device with a few exchanges (a burst that
 * ended early, a few heartbeats) holds a few hundred bytes, not the full ring. A plain array of
 * doubles lives in V8's heap; a typed array this size would hold its bytes outside it, behind an
 * `ArrayBuffer` and its backing-store bookkeeping (~0.5 KB more per device).
 */
export class ClockSync {
  private samples: number[];
  private count = 0;
  private next = 0;
  private current: ClockEstimate | null = null;
  /** What `carry` found last: the bounds, and the ages of the exchanges that set them (their slopes in the rate). */
  private hi = Infinity;
  private lo = -Infinity;
  private hiAge = 0;
  private loAge = 0;
  /** The drift rate the last estimate carried its bounds along: where the next one looks first. */
  private lastRate = 0;
  /** The fastest drift considered, as ms per ms. */
  private readonly maxRate: number;
  /**
   * @param keep how many exchanges to keep (one per heartbeat after the burst at connect)
   * @param maxDriftPpm the fastest drift a device clock may have: real crystals stay within
   *   about 100 ppm; the bound only matters while the kept exchanges span a short time
   */
  constructor(
    private readonly keep = 32,
    maxDriftPpm = 200,
  ) {
    this.samples = room(3 * Math.min(keep, FIRST_ROOM));
    this.maxRate = maxDriftPpm / 1e6;
  }

  add(t0: number, t1: number, t2: number, t3: number): ClockEstimate | null {
    if (![t0, t1, t2, t3].every(Number.isFinite) || t3 < t0) return null;
    let upper = t1 - t0;
    let lower = t2 - t3;
    // A round trip below zero (clock resolution, a device answering before its own receive stamp): no bounds, only the NTP offset.
    if (upper < lower) upper = lower = (upper + lower) / 2;
    // Still filling (next === count, nothing wrapped yet): double the room when it is full.
    if (3 * this.next >= this.samples.length) this.grow();
    this.samples[3 * this.next] = t0;
    this.samples[3 * this.next + 1] = upper;
    this.samples[3 * this.next + 2] = lower;
    this.next = (this.next + 1) % this.keep;
    this.count = Math.min(this.count + 1, this.keep);
    this.current = this.compute();
    return this.current;
  }

  estimate(): ClockEstimate | null {
    return this.current;
  }

  private grow(): void {
    const samples = room(3 * Math.min(this.keep, 2 * (this.samples.length / 3)));
    for (let i = 0; i < this.samples.length; i++) samples[i] = this.samples[i]!;
    this.samples = samples;
  }

  /** The k-th newest sample (0 is the newest). */
  private at(k: number): { t: number; upper: number; lower: number } {
    const i = (this.next - 1 - k + 2 * this.keep) % this.keep;
    return { t: this.samples[3 * i]!, upper: this.samples[3 * i + 1]!, lower: this.samples[3 * i + 2]! };
  }

  private compute(): ClockEstimate {
    let fastest = Infinity;
    let slowest = 0;
    const newestAt = this.at(0).t;
    for (let k = 0; k < this.count; k++) {
      const s = this.at(k);
      fastest = Math.min(fastest, s.upper - s.lower);
      // The newest exchange, and those of the last RECENT_RTT_MS: what the link is like now.
      if (k === 0 || newestAt - s.t <= RECENT_RTT_MS) slowest = Math.max(slowest, s.upper - s.lower);
    }
    // The newest exchanges that some drift rate makes agree (older ones that no rate reconciles
    // come from before a step of the device's clock), then the rates that do.
    let used = this.count;
    // Any rate at which the bounds agree serves as the start of the edges' searches: most often
    // the last estimate's still does, and the search for the widest is not needed.
    let peak = this.width(used, this.lastRate) >= 0 ? { rate: this.lastRate, width: 0 } : this.widest(used);
    if (peak.width < 0) {
      let ok = 1;
      let bad = used;
      while (bad - ok > 1) {
        const mid = (ok + bad) >> 1;
        if (this.widest(mid).width >= 0) ok = mid;
        else bad = mid;
      }
      used = ok;
      peak = this.widest(used);
    }
    // Every rate at which the bounds agree could be the clock's. The estimate carries the bounds
    // along the middle one; the error bound covers them all: the offset now lies between the
    // lowest lower bound and the highest upper bound over them, which (every bound rising with
    // the rate) are those at the slowest and at the fastest rate.
    const slowestRate = this.edge(used, -this.maxRate, peak.rate);
    const fastestRate = this.edge(used, this.maxRate, peak.rate);
    const rate = (slowestRate + fastestRate) / 2;
    this.lastRate = rate;
    const carried = this.bounds(used, rate);
    const lo = this.bounds(used, slowestRate).lo;
    const hi = this.bounds(used, fastestRate).hi;
    const offsetMs = (carried.hi + carried.lo) / 2;
    return {
      offsetMs,
      errorMs: Math.max(hi - offsetMs, offsetMs - lo),
      rttMs: fastest,
      recentMaxRttMs: slowest,
      driftPpm: rate * 1e6,
      samples: this.count,
    };
  }

  /** The newest `used` exchanges' bounds, carried to the newest one's time along `rate` (ms per ms). */
  private bounds(used: number, rate: number): { hi: number; lo: number } {
    this.carry(used, rate);
    return { hi: this.hi, lo: this.lo };
  }

  /**
   * `bounds` into `hi` and `lo` (and the ages of the exchanges that set them), reading the
   * samples in place: the searches below call it for every step, so it allocates nothing.
   */
  private carry(used: number, rate: number): void {
    const samples = this.samples;
    const newest = (this.next - 1 + this.keep) % this.keep;
    const now = samples[3 * newest]!;
    let hi = Infinity;
    let lo = -Infinity;
    let hiAge = 0;
    let loAge = 0;
    for (let k = 0, i = newest; k < used; k++, i = i === 0 ? this.keep - 1 : i - 1) {
      const age = now - samples[3 * i]!;
      const upper = samples[3 * i + 1]! + rate * age;
      const lower = samples[3 * i + 2]! + rate * age;
      if (upper < hi) {
        hi = upper;
        hiAge = age;
      }
      if (lower > lo) {
        lo = lower;
        loAge = age;
      }
    }
    this.hi = hi;
    this.lo = lo;
    this.hiAge = hiAge;
    this.loAge = loAge;
  }

  private width(used: number, rate: number): number {
    this.carry(used, rate);
    return this.hi - this.lo;
  }

  /**
   * The rate (within +-maxRate) at which the bounds leave the most room: width is concave in the
   * rate, so a golden-section search finds it (each step keeps one of its two points for the next).
   */
  private widest(used: number): { rate: number; width: number } {
    const g = (Math.sqrt(5) - 1) / 2;
    let a = -this.maxRate;
    let b = this.maxRate;
    let c = b - g * (b - a);
    let d = a + g * (b - a);
    let wc = this.width(used, c);
    let wd = this.width(used, d);
    for (let i = 0; i < 40; i++) {
      if (wc < wd) {
        a = c;
        c = d;
        wc = wd;
        d = a + g * (b - a);
        wd = this.width(used, d);
      } else {
        b = d;
        d = c;
        wd = wc;
        c = b - g * (b - a);
        wc = this.width(used, c);
      }
    }
    const rate = (a + b) / 2;
    return { rate, width: this.width(used, rate) };
  }

  /**
   * The last rate from `inside` (where the bounds agree) towards `limit` at which they still agree.
   * The width is the lowest of lines in the rate (one per pair of an upper and a lower bound), so
   * it is concave and piecewise linear: from a rate where it is negative, the root of the line of
   * the pair that sets it there lies between that rate and the edge (never past it), and the next
   * step starts from there. A few steps reach the edge exactly (one per piece crossed), where
   * halving the interval took 40; halving is kept for what rounding might leave.
   */
  private edge(used: number, limit: number, inside: number): number {
    if (this.width(used, limit) >= 0) return limit;
    let bad = limit;
    for (let step = 0; step < 16; step++) {
      const w = this.hi - this.lo;
      if (w > -EDGE_MS) return bad;
      const next = bad - w / (this.hiAge - this.loAge);
      const between = limit > inside ? next < bad && next >= inside : next > bad && next <= inside;
      if (!between) break;
      bad = next;
      this.width(used, bad);
    }
    let good = inside;
    for (let i = 0; i < 40; i++) {
      const mid = (good + bad) / 2;
      if (this.width(used, mid) >= 0) good = mid;
      else bad = mid;
    }
    return good;
  }
}

/**
 * An array of `n` numbers, allocated at exactly that size (pushes would leave up to half again as
 * slack), filled with NaN: a double, so every device's array holds doubles from the start and the
 * loops over it see one elements kind (filled with 0 it starts as small integers, and a pong cost
 * ~15 % more).
 */
function room(n: number): number[] {
  return new Array<number>(n).fill(NaN);
}

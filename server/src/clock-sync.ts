/**
 * NTP-style estimate of one device's clock from four timestamps per exchange: the hub sends at
 * t0 (server clock), the device receives at t1 and answers at t2 (device clock), the hub receives
 * at t3. offset = ((t1 - t0) + (t2 - t3)) / 2 is how far the device clock is ahead; the sample with
 * the lowest round trip is the most trustworthy, and half its round trip bounds the error.
 */
export interface ClockEstimate {
  offsetMs: number;
  errorMs: number;
  /** Round trip of the best sample. */
  rttMs: number;
  /** Highest round trip among recent samples: what a scheduled switch must allow for. */
  recentMaxRttMs: number;
  samples: number;
}

/** The last `keep` samples, in one typed array (offset, delay pairs): a device holds one for its whole connection. */
export class ClockSync {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;
  constructor(private readonly keep = 32) {
    this.samples = new Float64Array(2 * keep);
  }

  add(t0: number, t1: number, t2: number, t3: number): ClockEstimate | null {
    const delay = Math.max(0, t3 - t0 - (t2 - t1));
    if (!Number.isFinite(delay) || t3 < t0) return null;
    this.samples[2 * this.next] = (t1 - t0 + (t2 - t3)) / 2;
    this.samples[2 * this.next + 1] = delay;
    this.next = (this.next + 1) % this.keep;
    this.count = Math.min(this.count + 1, this.keep);
    return this.estimate();
  }

  estimate(): ClockEstimate | null {
    if (this.count === 0) return null;
    // Oldest first, so of equal round trips the oldest sample wins, as it always has.
    const oldest = this.count < this.keep ? 0 : this.next;
    let best = oldest;
    let worst = 0;
    for (let k = 0; k < this.count; k++) {
      const i = (oldest + k) % this.keep;
      const delay = this.samples[2 * i + 1]!;
      if (delay < this.samples[2 * best + 1]!) best = i;
      if (delay > worst) worst = delay;
    }
    const delay = this.samples[2 * best + 1]!;
    return {
      offsetMs: this.samples[2 * best]!,
      errorMs: delay / 2,
      rttMs: delay,
      recentMaxRttMs: worst,
      samples: this.count,
    };
  }
}

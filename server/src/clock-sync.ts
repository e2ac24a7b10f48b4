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

interface Sample {
  offset: number;
  delay: number;
}

export class ClockSync {
  private readonly samples: Sample[] = [];
  constructor(private readonly keep = 32) {}

  add(t0: number, t1: number, t2: number, t3: number): ClockEstimate | null {
    const delay = Math.max(0, t3 - t0 - (t2 - t1));
    if (!Number.isFinite(delay) || t3 < t0) return null;
    this.samples.push({ offset: (t1 - t0 + (t2 - t3)) / 2, delay });
    if (this.samples.length > this.keep) this.samples.shift();
    return this.estimate();
  }

  estimate(): ClockEstimate | null {
    if (this.samples.length === 0) return null;
    let best = this.samples[0]!;
    let worst = 0;
    for (const s of this.samples) {
      if (s.delay < best.delay) best = s;
      if (s.delay > worst) worst = s.delay;
    }
    return {
      offsetMs: best.offset,
      errorMs: best.delay / 2,
      rttMs: best.delay,
      recentMaxRttMs: worst,
      samples: this.samples.length,
    };
  }
}

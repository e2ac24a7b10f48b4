/** How fast a key may go: `ratePerSec` on average, with bursts of up to `burst` at once. */
export interface RateLimitSettings {
  ratePerSec: number;
  burst: number;
}

/**
 * Generous on purpose: a household of controllers polling once a second and sending several
 * commands a second stays far below it; a runaway script does not.
 */
export const DEFAULT_RATE_LIMIT: RateLimitSettings = { ratePerSec: 20, burst: 100 };

export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (a user, a connection): each request takes a token, tokens come back
 * at `ratePerSec` up to `burst`. A bucket that has refilled is forgotten, so memory follows the
 * keys active in the last few seconds, not every key ever seen.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillMs: number;
  private lastSweep: number;

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number,
  ) {
    if (!(settings.ratePerSec > 0) || !(settings.burst >= 1)) throw new Error('rate limit: ratePerSec > 0 and burst >= 1');
    this.refillMs = (settings.burst / settings.ratePerSec) * 1000;
    this.lastSweep = now();
  }

  /** Take `cost` tokens for `key` if it has them; otherwise how long until it will. */
  take(key: string, cost = 1): RateDecision {
    const now = this.now();
    this.sweep(now);
    const tokens = this.tokens(this.buckets.get(key), now);
    if (tokens >= cost) {
      this.buckets.set(key, { tokens: tokens - cost, at: now });
      return { ok: true };
    }
    this.buckets.set(key, { tokens, at: now });
    return { ok: false, retryAfterMs: ((cost - tokens) / this.settings.ratePerSec) * 1000 };
  }

  /**
   * Take `cost` tokens from `key` whether it has them or not (a penalty): its tokens may go below
   * zero, down to `-burst`, and it waits for them to come back before its next request.
   */
  charge(key: string, cost: number): void {
    if (cost <= 0) return;
    const now = this.now();
    this.sweep(now);
    this.buckets.set(key, { tokens: Math.max(-this.settings.burst, this.tokens(this.buckets.get(key), now) - cost), at: now });
  }

  /** Keys tracked now (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private tokens(bucket: Bucket | undefined, now: number): number {
    if (!bucket) return this.settings.burst;
    const refilled = bucket.tokens + (Math.max(0, now - bucket.at) * this.settings.ratePerSec) / 1000;
    return Math.min(this.settings.burst, refilled);
  }

  /** Once per refill period, drop the buckets untouched for a whole period: they are full again. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.refillMs) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= this.refillMs) this.buckets.delete(key);
  }
}

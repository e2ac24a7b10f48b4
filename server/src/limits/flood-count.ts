/** A second without a refusal ends a flood. */
const FLOOD_QUIET_MS = 1000;

/** One refusal in a flood: the first (answered), a later one, or one past the limit (close the socket). */
export type FloodStep = 'first' | 'more' | 'over';

/**
 * Counts one socket's refusals of one kind (frames over its rate, commands over its user's) in
 * the current flood: a flood lasts until a whole second passes without a refusal, so what the
 * limits still let through meanwhile does not end it. More than `limit` refusals in one flood
 * and the socket has shown it ignores them.
 */
export class FloodCount {
  private count = 0;
  private lastAt = -Infinity;

  constructor(private readonly limit: number) {}

  refused(now: number): FloodStep {
    if (now - this.lastAt >= FLOOD_QUIET_MS) this.count = 0;
    this.lastAt = now;
    if (++this.count > this.limit) return 'over';
    return this.count === 1 ? 'first' : 'more';
  }
}

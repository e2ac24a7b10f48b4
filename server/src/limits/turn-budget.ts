/**
 * How much of one turn of the event loop a key (a user) may take. Every frame of a user's sockets
 * takes one unit before it is parsed; once a user has used up the turn's budget, the rest of their
 * frames wait for a later turn (their sockets paused meanwhile), so the I/O of every other user is
 * read in between. One user's burst of valid frames then delays that user, not the others.
 *
 * A turn ends at the event loop's check phase (`setImmediate`): the budgets are cleared there and
 * the waiting work resumes, in the order it was put off.
 */
export class TurnBudget {
  private readonly used = new Map<string, number>();
  private waiting: Array<() => void> = [];
  private armed = false;

  constructor(
    readonly perTurn: number,
    private readonly defer: (fn: () => void) => void = setImmediate,
  ) {
    if (!(perTurn >= 1)) throw new Error('turn budget: perTurn >= 1');
  }

  /** Take one unit for `key` in this turn, if it has any left. */
  take(key: string): boolean {
    const n = this.used.get(key) ?? 0;
    if (n >= this.perTurn) return false;
    this.used.set(key, n + 1);
    this.arm();
    return true;
  }

  /** Run `fn` at the start of a later turn, once the budgets are fresh. */
  later(fn: () => void): void {
    this.waiting.push(fn);
    this.arm();
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    this.defer(() => this.turn());
  }

  private turn(): void {
    this.armed = false;
    this.used.clear();
    const waiting = this.waiting;
    this.waiting = [];
    for (const fn of waiting) fn();
  }
}

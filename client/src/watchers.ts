/** Conditions waited on by callers (tests, tools), checked after every message from the hub and every 20 ms. */
export class Watchers {
  private readonly checks = new Set<() => void>();

  /** Something changed: check every condition waited on. */
  notify(): void {
    for (const check of this.checks) check();
  }

  /** Resolve once `predicate` holds, or reject after `timeoutMs` naming `what` (and `who` waited). */
  waitFor(predicate: () => boolean, timeoutMs: number, what: string, who: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${who}: timed out waiting for ${what}`));
      }, timeoutMs);
      const poll = setInterval(check, 20);
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.checks.delete(check);
      };
      this.checks.add(check);
    });
  }
}

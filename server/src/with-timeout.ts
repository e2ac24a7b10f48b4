import { systemClock, type Clock } from './clock.ts';

/** What `withTimeout` rejects with when the time is up (unless told otherwise). */
export class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * `work`'s outcome, or a rejection (`onTimeout()`, a TimeoutError by default) once `ms` passed
 * first. The one deadline race of the hub: the work is not cancelled (it may still finish, and
 * commit), so a caller that times out must say so rather than report a failure.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error = () => new TimeoutError(ms), clock: Clock = systemClock): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), Math.max(0, ms));
    work.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Wait for `work` at most `ms` (for shutdown steps: what is not done by then is left). Never rejects. */
export async function settleWithin(ms: number, work: Promise<unknown>, clock: Clock = systemClock): Promise<void> {
  await withTimeout(work, ms, undefined, clock).catch(() => {});
}

/**
 * Time, injected wherever it matters so tests can run a simulated clock (XState's SimulatedClock
 * fits this shape). `now()` is server time in ms since the epoch, with sub-ms precision.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

const origin = performance.timeOrigin;

export const systemClock: Clock = {
  now: () => origin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** A promise that resolves after `ms` on `clock`. */
export const sleepOn = (clock: Clock, ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

/**
 * Run `fn` every `ms` on `clock` until the returned function is called. On the system clock the
 * timer does not keep the process alive.
 */
export function everyOn(clock: Clock, ms: number, fn: () => void): () => void {
  let handle: unknown;
  let stopped = false;
  const arm = () => {
    handle = clock.setTimeout(tick, ms);
    (handle as { unref?: () => void } | null)?.unref?.();
  };
  const tick = () => {
    if (stopped) return;
    arm();
    fn();
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}

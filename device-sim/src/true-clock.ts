/** The real time on this machine (ms since the epoch, sub-ms precision): the ground truth clock. */
const origin = performance.timeOrigin;
export const trueNow = (): number => origin + performance.now();

/**
 * Run `fn` when `clock()` reaches `at`: a timer to just before, then a short poll, so a switch
 * lands within a fraction of a millisecond when the event loop is free (as a real audio device
 * schedules at a sample). Returns a cancel function.
 */
export function at(clock: () => number, when: number, fn: () => void): () => void {
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = () => {
    if (cancelled) return;
    if (clock() >= when) return fn();
    setImmediate(poll);
  };
  const wait = when - clock() - 3;
  if (wait > 0) timer = setTimeout(poll, wait);
  else poll();
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}

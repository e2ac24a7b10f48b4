/** Yield to the event loop as briefly as the platform allows. */
const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
const yieldSoon: (fn: () => void) => void =
  typeof immediate === 'function'
    ? (fn) => void immediate(fn)
    : (() => {
        const channel = new MessageChannel();
        const queue: Array<() => void> = [];
        channel.port1.onmessage = () => queue.shift()?.();
        return (fn: () => void) => {
          queue.push(fn);
          channel.port2.postMessage(0);
        };
      })();

/**
 * Run `fn` when `clock()` reaches `when`: a timer to just before, then a brief poll, so a switch
 * lands within a fraction of a millisecond when the event loop is free (as an audio device
 * schedules at a sample). Returns a cancel function.
 */
export function runAt(clock: () => number, when: number, fn: () => void): () => void {
  let cancelled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const poll = () => {
    if (cancelled) return;
    if (clock() >= when) return fn();
    yieldSoon(poll);
  };
  const wait = when - clock() - 3;
  if (wait > 0) timer = setTimeout(poll, wait);
  else poll();
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}

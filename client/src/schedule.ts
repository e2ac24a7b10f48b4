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
 * schedules at a sample). `when` may be a function, read again until it is reached: a server
 * time converted with the newest clock offset follows an estimate that improves meanwhile.
 * Returns a cancel function.
 */
export function runAt(clock: () => number, when: number | (() => number), fn: () => void): () => void {
  const target = typeof when === 'number' ? () => when : when;
  let cancelled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const poll = () => {
    if (cancelled) return;
    const left = target() - clock();
    if (left <= 0) return fn();
    if (left > 3) timer = setTimeout(poll, left - 3);
    else yieldSoon(poll);
  };
  poll();
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}

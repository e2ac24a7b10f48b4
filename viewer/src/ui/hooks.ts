import { startTransition, useEffect, useRef, useState } from 'react';
import type { TraceStore } from '../model/store.ts';

/**
 * Re-render when the store changes; returns its version. Live updates render as a transition:
 * React works on them in slices of a few milliseconds and lets input, the socket and frames in
 * between, so an update of the tail is never one long task. (Components read the store as it is
 * when they render; they take counts from the version's render, so rows never go past them.)
 */
export function useStore(store: TraceStore): number {
  const [version, setVersion] = useState(store.version);
  useEffect(() => {
    const update = () => {
      const v = store.version;
      if (store.source.kind === 'live') startTransition(() => setVersion(v));
      else setVersion(v);
    };
    update();
    return store.subscribe(update);
  }, [store]);
  return version;
}

/** A value that re-renders every `ms` (for countdowns and live positions). */
export function useNow(ms: number, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(id);
  }, [ms, active]);
  return now;
}

/**
 * `value`, passed on at most every `ms` (0: at once). The live tail updates the list several times
 * a second; panels that need not move as fast follow this slower copy of the store's version.
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    const wait = ms - (performance.now() - last.current);
    if (wait <= 0) {
      last.current = performance.now();
      setShown(value);
      return;
    }
    const id = window.setTimeout(() => {
      last.current = performance.now();
      setShown(value);
    }, wait);
    return () => window.clearTimeout(id);
  }, [value, shown, ms]);
  return ms <= 0 ? value : shown;
}

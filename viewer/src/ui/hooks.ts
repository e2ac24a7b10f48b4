import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { TraceStore } from '../model/store.ts';

/** Re-render when the store changes (at most once a frame); returns its version. */
export function useStore(store: TraceStore): number {
  return useSyncExternalStore(store.subscribe, store.getVersion);
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

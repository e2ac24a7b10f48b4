import { useEffect, useState, useSyncExternalStore } from 'react';
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

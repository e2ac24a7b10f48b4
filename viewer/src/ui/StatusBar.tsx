import type { TraceStore } from '../model/store.ts';
import type { LiveStatus } from '../net/live.ts';
import type { ImportMetrics } from './import-metrics.ts';
import { clock, count, ms } from './format.ts';
import { useNow } from './hooks.ts';

export function StatusBar({
  store,
  status,
  lastImport,
  serverNow,
}: {
  store: TraceStore;
  status: LiveStatus | null;
  lastImport: ImportMetrics | null;
  serverNow: () => number;
}) {
  // Paused, the hub time stands still with the rest of the view (nothing but appending happens).
  useNow(1000, store.source.kind === 'live' && !store.held);
  const first = store.events[0];
  const last = store.events[store.events.length - 1];
  return (
    <footer className="status">
      {status && (
        <span>
          {status.state === 'reconnecting'
            ? `reconnecting in ${ms(status.inMs)} (${status.why})`
            : status.state === 'refused'
              ? `refused: ${status.reason}`
              : status.state}
          {store.source.kind === 'live' && ` · hub time ${clock(serverNow())}`}
        </span>
      )}
      {first && last && (
        <span>
          seq {first.seq}–{last.seq} · {ms(last.ts - first.ts)} of trace
        </span>
      )}
      {store.source.kind === 'file' && lastImport && (
        <span data-testid="import-metrics">
          {count(lastImport.events)} events rendered in {Math.round(lastImport.totalMs)} ms (read {Math.round(lastImport.readMs)},
          parse {Math.round(lastImport.parseMs)}, derive {Math.round(lastImport.deriveMs)})
        </span>
      )}
      <span className="right muted">
        <kbd>?</kbd> keys · <kbd>/</kbd> search · <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>c</kbd> correlation · <kbd>a</kbd> problem
      </span>
    </footer>
  );
}

import { useCallback, useState } from 'react';
import type { Filter } from '../model/filter.ts';
import { TraceStore } from '../model/store.ts';
import { fetchTrace } from '../net/api.ts';
import { parseTraceFile } from '../net/trace-file.ts';

/** Events the live view dropped past its cap, fetched again from the hub's export and shown on their own. */
export interface Older {
  store: TraceStore;
  note: string;
}

/**
 * Scrolling back past the cap marker: the dropped range is fetched from the hub
 * (`GET /v1/users/:id/trace?sinceSeq&untilSeq`) into a store of its own, shown in place of the live
 * view while the live one only queues. The hub's ring keeps only a user's newest events (5,000 by
 * default), so what it can give back is the part of the range it still holds; the answer says which.
 */
export function useOlder(live: TraceStore, token: string | null, userId: string | null, filter: Filter, onOpen: () => void) {
  const [older, setOlder] = useState<Older | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const fetchOlder = useCallback(async () => {
    const dropped = live.dropped;
    if (!token || !userId || !dropped) return;
    setMessage(`Fetching seq ${dropped.fromSeq}–${dropped.toSeq} from the hub…`);
    let text: string;
    try {
      text = await fetchTrace(token, userId, 'ndjson', dropped.fromSeq - 1, dropped.toSeq);
    } catch (err) {
      setMessage(`The hub could not send seq ${dropped.fromSeq}–${dropped.toSeq}: ${(err as Error).message}`);
      return;
    }
    const events = parseTraceFile(text).events.filter((e) => e.seq >= dropped.fromSeq && e.seq <= dropped.toSeq);
    const first = events[0];
    const last = events.at(-1);
    if (!first || !last) {
      setMessage(
        `The hub no longer holds seq ${dropped.fromSeq}–${dropped.toSeq}: its ring keeps only each user's newest events, and this view already holds those.`,
      );
      return;
    }
    const store = new TraceStore();
    store.reset({ kind: 'file', name: `seq ${first.seq}–${last.seq} from the hub`, userId });
    // The range begins where this view began, so it starts from the same state the hub's hello gave.
    if (first.seq === dropped.fromSeq && live.baseline) store.startFrom(live.baseline, live.helloCluster);
    store.setFilter(filter);
    store.append(events);
    const partly = first.seq > dropped.fromSeq ? ` (the hub no longer holds seq ${dropped.fromSeq}–${first.seq - 1}; device states start from these events alone)` : '';
    setMessage(null);
    setOlder({
      store,
      note: `Showing seq ${first.seq}–${last.seq}, fetched from the hub after this view dropped them${partly}. Live events are held meanwhile.`,
    });
    onOpen();
  }, [live, token, userId, filter, onOpen]);

  const back = useCallback(() => {
    setOlder(null);
    setMessage(null);
  }, []);

  return { older, message, fetchOlder, back };
}

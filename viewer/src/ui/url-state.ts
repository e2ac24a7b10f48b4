import { EMPTY_FILTER, type Filter } from '../model/filter.ts';
import type { TraceKind } from '../model/types.ts';

/** What the address bar holds, so a link opens the same view: user, selected event and filter. */
export interface UrlState {
  user: string | null;
  event: number | null;
  filter: Filter;
  /** Live: hold at most this many events (`?cap=`; the default otherwise). */
  cap: number | null;
}

export function readUrl(): UrlState {
  const q = new URLSearchParams(location.search);
  const list = (key: string) => (q.get(key) ?? '').split(',').filter(Boolean);
  const event = Number(q.get('event'));
  const cap = Number(q.get('cap'));
  return {
    user: q.get('user'),
    event: Number.isInteger(event) && event > 0 ? event : null,
    cap: Number.isInteger(cap) && cap > 0 ? cap : null,
    filter: {
      ...EMPTY_FILTER,
      devices: list('device'),
      kinds: list('kind') as TraceKind[],
      type: q.get('type') ?? '',
      correlationId: q.get('corr') ?? '',
      text: q.get('q') ?? '',
    },
  };
}

export function writeUrl(s: UrlState): void {
  const q = new URLSearchParams();
  if (s.user) q.set('user', s.user);
  if (s.event !== null) q.set('event', String(s.event));
  if (s.cap !== null) q.set('cap', String(s.cap));
  if (s.filter.devices.length) q.set('device', s.filter.devices.join(','));
  if (s.filter.kinds.length) q.set('kind', s.filter.kinds.join(','));
  if (s.filter.type) q.set('type', s.filter.type);
  if (s.filter.correlationId) q.set('corr', s.filter.correlationId);
  if (s.filter.text) q.set('q', s.filter.text);
  const search = q.toString();
  const url = `${location.pathname}${search ? `?${search}` : ''}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, '', url);
}

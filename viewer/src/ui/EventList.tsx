import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { TraceStore } from '../model/store.ts';
import type { TraceEvent } from '../model/types.ts';
import type { UserLookup } from '../net/api.ts';
import { clock, corrColor, count, KIND_COLOR, KIND_SHORT, summary } from './format.ts';
import { Icon } from './Icon.tsx';
import { drawLaneGlyphs } from './lane-glyphs.ts';
import { deviceLabel, laneLayout, ROW } from './lanes.ts';

interface Props {
  store: TraceStore;
  version: number;
  /** How many of the filtered events to show (fewer while paused). */
  count: number;
  selectedSeq: number | null;
  onSelect: (seq: number) => void;
  follow: boolean;
  setFollow: (on: boolean) => void;
  filtered: boolean;
  /** An admin's lookup of the user shown, to say why nothing arrives. */
  lookup: UserLookup | null;
  /** Shown instead of the live view: older events fetched back from the hub, and the way back. */
  older: { note: string; onBack: () => void } | null;
  /** How the last fetch of older events went, when it did not open them. */
  olderMessage: string | null;
  /** Fetch the events dropped past the cap from the hub (live, signed in), or null. */
  onFetchOlder: (() => void) | null;
}

const OVERSCAN = 12;
/** Rows per block (under OVERSCAN, so the rendered rows always cover the view). */
const BLOCK = 8;

/**
 * The event list as a sequence diagram: one row per event, the hub and every device as lanes on
 * the left with messages drawn as arrows between them, and the event's details on the right.
 * Only the rows in view are rendered, so 100k events scroll like 100.
 */
export function EventList({ store, version, count: n, selectedSeq, onSelect, follow, setFollow, filtered, lookup, older, olderMessage, onFetchOlder }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const glyphs = useRef<HTMLCanvasElement>(null);
  // Rendered rows move in blocks: re-render only when the view crosses a block, not per pixel.
  const [block, setBlock] = useState(0);
  const [size, setSize] = useState({ width: 800, height: 600 });
  const lastSelected = useRef<number | null>(null);
  // Follow is a tail view: the newest rows drawn at the bottom with no native scrolling, so an update
  // never reads or writes the scroll position (each such write forced a layout per frame).
  const tailTop = Math.max(0, n * ROW - size.height);
  const scrollTop = follow ? tailTop : block * BLOCK * ROW;
  const tailTopRef = useRef(tailTop);
  tailTopRef.current = tailTop;

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    setSize({ width: el.clientWidth, height: el.clientHeight });
    return () => ro.disconnect();
  }, []);

  // Leaving the tail: the native scroller takes over where the tail was, once.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (follow) el.scrollTop = 0;
    else {
      el.scrollTop = tailTopRef.current;
      setBlock(Math.floor(tailTopRef.current / (BLOCK * ROW)));
    }
  }, [follow]);

  // Bring a newly selected event into view (keyboard, timeline, links); not on every render.
  useEffect(() => {
    const el = scroller.current;
    if (!el || selectedSeq === null || follow) return;
    const index = store.indexOfSeq.get(selectedSeq);
    if (index === undefined) return;
    if (lastSelected.current === selectedSeq) return;
    const pos = lowerBound(store.filtered, index);
    if (store.filtered[pos] !== index) return;
    lastSelected.current = selectedSeq;
    const top = pos * ROW;
    if (top < el.scrollTop + ROW || top > el.scrollTop + size.height - 2 * ROW) el.scrollTop = Math.max(0, top - size.height / 2);
  }, [selectedSeq, version, store, follow, size.height]);

  const laneSpace = Math.min(size.width * 0.36, 420);
  // The layout changes only when lanes are added.
  const layout = useMemo(() => laneLayout(store, laneSpace), [store, laneSpace, store.lanes.length]);
  const first = Math.max(0, Math.floor(scrollTop / ROW) - (follow ? 0 : OVERSCAN));
  const last = Math.min(n, store.filtered.length, Math.ceil((scrollTop + size.height) / ROW) + (follow ? 0 : BLOCK + OVERSCAN));
  // In the tail the rows keep their places (keyed by slot, at fixed offsets): an update rewrites
  // their text, and nothing moves or is created. Scrolled, rows are keyed by seq and placed on the sheet.
  const tailShift = tailTop - first * ROW;

  // The lane glyphs of the rows in view, on one canvas: after each render, and on every scroll.
  const paintGlyphs = useRef<(top: number) => void>(() => {});
  paintGlyphs.current = (top: number) => {
    const c = glyphs.current;
    if (!c) return;
    const from = Math.max(0, Math.floor(top / ROW));
    const to = Math.min(n, store.filtered.length, Math.ceil((top + size.height) / ROW));
    drawLaneGlyphs(c, layout, size.height, { order: store.filtered, events: store.events, first: from, last: to, top: from * ROW - top });
  };
  useLayoutEffect(() => {
    paintGlyphs.current(follow ? tailTop : (scroller.current?.scrollTop ?? 0));
  });

  const selected = selectedSeq === null ? undefined : store.eventBySeq(selectedSeq);
  // One row is in the tab order: the selected one, else the first drawn (arrow keys move from there).
  const focusSeq = selected && store.filtered.includes(store.indexOfSeq.get(selected.seq) ?? -1) ? selected.seq : null;
  const rows = [];
  for (let p = first; p < last; p++) {
    const index = store.filtered[p]!;
    const e = store.events[index]!;
    const prev = index > 0 ? store.events[index - 1]! : undefined;
    rows.push(
      <Row
        key={follow ? `slot-${p - first}` : e.seq}
        e={e}
        top={follow ? (p - first) * ROW - tailShift : p * ROW}
        selected={e.seq === selectedSeq}
        tabStop={focusSeq === null ? p === first : e.seq === focusSeq}
        related={
          selected !== undefined &&
          e.seq !== selected.seq &&
          ((selected.correlationId !== undefined && e.correlationId === selected.correlationId) ||
            e.parentSeq === selected.seq ||
            selected.parentSeq === e.seq)
        }
        gapBefore={prev !== undefined && prev.seq !== e.seq - 1 ? e.seq - prev.seq - 1 : 0}
        problem={store.problems.bySeq
          .get(e.seq)
          ?.map((a) => a.message)
          .join('\n')}
        onSelect={onSelect}
      />,
    );
  }

  return (
    <section className="events" aria-label="Events">
      <ListNotes store={store} older={older} olderMessage={olderMessage} onFetchOlder={onFetchOlder} />
      <div className="lane-head" style={{ ['--lanes' as string]: `${layout.width}px` }} aria-hidden>
        <div className="lane-names" style={{ width: layout.width }}>
          {layout.ids.map((id) => {
            const { name, kind } = deviceLabel(store, id);
            const d = store.world.devices[id];
            return (
              <span
                key={id}
                className={`lane-name ${id === 'hub' ? 'hub' : ''} ${d && !d.connected ? 'offline' : ''} ${d?.active ? 'active' : ''}`}
                style={{ width: layout.step }}
                title={`${name} (${id}, ${kind})`}
              >
                <Icon name={kind} size={12} />
                <span className="nm">{name}</span>
              </span>
            );
          })}
        </div>
        <span className="col time">time</span>
        <span className="col seq">seq</span>
        <span className="col kind">kind</span>
        <span className="col type">type</span>
        <span className="col corr">correlation</span>
        <span className="col sum">{filtered ? `${count(n)} of ${count(store.events.length)} match` : ''}</span>
      </div>
      <div className="list-view">
        <div
          className={`scroller${follow ? ' tail' : ''}`}
          ref={scroller}
          tabIndex={0}
          role="listbox"
          aria-label={`Events, ${count(n)} shown${follow ? ', following the newest' : ''}`}
          onWheel={(ev) => {
            if (follow && ev.deltaY < 0) setFollow(false);
          }}
          onScroll={(ev) => {
            if (follow) return;
            const el = ev.currentTarget;
            paintGlyphs.current(el.scrollTop);
            setBlock(Math.floor(el.scrollTop / (BLOCK * ROW)));
            const atBottom = el.scrollTop + size.height >= n * ROW - ROW;
            if (atBottom && store.source.kind === 'live' && !store.held) setFollow(true);
          }}
        >
          <div className="rows" style={{ height: follow ? size.height : n * ROW, ['--lanes' as string]: `${layout.width}px` }}>
            {rows}
          </div>
        </div>
        <canvas className="lane-glyphs" ref={glyphs} style={{ width: layout.width, height: size.height }} aria-hidden />
      </div>
      {n === 0 && (
        <div className="empty" role="status" data-testid="list-empty">
          {emptyReason(store, lookup)}
        </div>
      )}
    </section>
  );
}

/** Why the list is empty, in words: never a blank screen. */
function emptyReason(store: TraceStore, lookup: UserLookup | null): string {
  if (store.filterError) return `${store.filterError}. Nothing can match until the search is fixed.`;
  if (store.events.length) return 'No event matches the filter.';
  if (store.source.kind !== 'live') return 'No events.';
  if (lookup && !lookup.known) return `No such user on this hub: ${lookup.userId} has no session, no device and no trace here.`;
  if (lookup && lookup.trace.lastSeq === 0) return `No events yet for ${lookup.userId}: the hub knows the user, but nothing was traced yet.`;
  if (store.held) return 'Paused: new events are held until you resume.';
  return 'Waiting for events…';
}

/** Markers above the list: older events fetched back, a new run, events dropped past the cap, a start from the hub's baseline. */
function ListNotes({ store, older, olderMessage, onFetchOlder }: { store: TraceStore } & Pick<Props, 'older' | 'olderMessage' | 'onFetchOlder'>) {
  const prev = store.run?.previous;
  const notes: Array<[string, ReactNode]> = [];
  if (older)
    notes.push([
      'older',
      <>
        {older.note}{' '}
        <button className="link" onClick={older.onBack} data-testid="back-to-live">
          Back to live
        </button>
      </>,
    ]);
  if (prev)
    notes.push([
      'run',
      `New run at ${clock(prev.endedTs)}: the hub restarted or the session moved (boot ${prev.bootId.slice(0, 8)} → ${store.run!.bootId.slice(0, 8)}). The previous run's ${count(prev.events)} events (seq ${prev.firstSeq}–${prev.lastSeq}) are not merged with this one.`,
    ]);
  if (store.dropped)
    notes.push([
      'cap',
      <>
        {count(store.dropped.count)} older events (seq {store.dropped.fromSeq}–{store.dropped.toSeq}) dropped from this view: it holds at most{' '}
        {count(store.maxEvents)}.{' '}
        {onFetchOlder && (
          <button className="link" onClick={onFetchOlder} data-testid="fetch-older">
            Fetch them from the hub
          </button>
        )}{' '}
        {olderMessage && <span data-testid="older-message">{olderMessage}</span>}
      </>,
    ]);
  if (store.baseline && store.baseline.throughSeq > 0)
    notes.push([
      'baseline',
      `The hub had evicted seq 1–${store.baseline.throughSeq}; device states start from what those events left (connections, roles, sound, revisions, clocks).`,
    ]);
  if (!notes.length) return null;
  return (
    <div className="list-notes">
      {notes.map(([kind, text]) => (
        <p key={kind} className={`note ${kind}`} role="status" data-testid={`note-${kind}`}>
          {text}
        </p>
      ))}
    </div>
  );
}

interface RowProps {
  e: TraceEvent;
  top: number;
  selected: boolean;
  tabStop: boolean;
  related: boolean;
  gapBefore: number;
  problem: string | undefined;
  onSelect: (seq: number) => void;
}

const Row = memo(function Row({ e, top, selected, tabStop, related, gapBefore, problem, onSelect }: RowProps) {
  return (
    <div
      className={`row k-${e.kind.replace('.', '-')}${selected ? ' selected' : ''}${related ? ' related' : ''}${problem ? ' problem' : ''}${gapBefore ? ' gap-before' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      // Select on press: in the live tail rows move every frame, so a click (press and release on one row) could miss.
      onMouseDown={(ev) => {
        if (ev.button === 0) onSelect(e.seq);
      }}
      onKeyDown={(ev) => {
        if (ev.key === 'Enter') onSelect(e.seq);
      }}
      role="option"
      aria-selected={selected}
      tabIndex={tabStop ? 0 : -1}
      data-seq={e.seq}
      title={gapBefore ? `${gapBefore} events missing before this one` : undefined}
    >
      <span className="col time">{clock(e.ts)}</span>
      <span className="col seq">{e.seq}</span>
      <span className="col kind" style={{ color: KIND_COLOR[e.kind] }}>
        {KIND_SHORT[e.kind] ?? e.kind}
      </span>
      <span className="col type">{e.type}</span>
      <span className="col corr">
        {e.correlationId && (
          <b style={{ background: corrColor(e.correlationId, 0.16), color: corrColor(e.correlationId) }}>{e.correlationId}</b>
        )}
      </span>
      <span className="col sum">
        {problem && (
          <em className="flag" title={problem}>
            ⚠
          </em>
        )}
        {summary(e)}
      </span>
    </div>
  );
});

export function lowerBound(list: number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

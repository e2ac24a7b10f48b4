import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { TraceStore } from '../model/store.ts';
import { ms } from './format.ts';
import { deviceLabel } from './lanes.ts';
import { drawBands } from './timeline-bands.ts';

interface Props {
  store: TraceStore;
  version: number;
  selectedSeq: number | null;
  onSelect: (seq: number) => void;
  serverNow: () => number;
  live: boolean;
}

const ROW_H = 13;
/** Live, the timeline redraws at most this often: over a minute of trace a pixel is ~45 ms, and the view fits the whole trace. */
const LIVE_REDRAW_MS = 250;
const TOP = 16;
const LABEL_W = 110;

/**
 * The whole trace on one time axis: a row for transfers, the hub and each device, events as
 * ticks (denser is brighter), messages as faint lines between hub and device, transfers as bars
 * coloured by outcome, anomalies as red marks. Wheel zooms, drag pans, double-click fits, click
 * selects the nearest event.
 */
export function Timeline({ store, version, selectedSeq, onSelect, serverNow, live }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(1000);
  const [view, setView] = useState<{ t0: number; t1: number } | null>(null);
  const drag = useRef<{ x: number; t0: number; t1: number; moved: boolean } | null>(null);
  const lanes = ['hub', ...store.lanes];
  const height = TOP + (lanes.length + 1) * ROW_H + 4;

  useLayoutEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  const range = (): { t0: number; t1: number } => {
    if (view) return view;
    const lastTs = store.events[store.events.length - 1]?.ts;
    const last = live ? Math.max(serverNow(), lastTs ?? 0) : (lastTs ?? serverNow());
    const first = store.events[0]?.ts ?? last - 60_000;
    return { t0: first, t1: Math.max(first + 1, last) };
  };

  // Live, the timeline redraws at most every LIVE_REDRAW_MS;
  // the whole-trace view draws from the store's time bins, so a frame costs the same at any length.
  const lastDraw = useRef(0);
  const pendingDraw = useRef<number | null>(null);
  const offscreen = useRef<OffscreenCanvas | null>(null);
  const paint = useRef<() => void>(() => {});
  paint.current = () => {
    pendingDraw.current = null;
    lastDraw.current = performance.now();
    const c = canvas.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.floor(width * dpr);
    const h = Math.floor(height * dpr);
    // Drawn offscreen, then handed over as a bitmap: setting a font on a canvas in the page makes
    // the browser bring style and layout up to date first, which tied the timeline to the list's
    // layout in one long task.
    if (typeof OffscreenCanvas === 'undefined') return paintInPlace(c, w, h, dpr);
    if (offscreen.current?.width !== w || offscreen.current.height !== h) offscreen.current = new OffscreenCanvas(w, h);
    const g = offscreen.current.getContext('2d');
    const out = c.getContext('bitmaprenderer');
    if (!g || !out) return;
    if (c.width !== w) c.width = w;
    if (c.height !== h) c.height = h;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw(g, store, width, height, range(), selectedSeq, view === null);
    out.transferFromImageBitmap(offscreen.current.transferToImageBitmap());
  };
  const paintInPlace = (c: HTMLCanvasElement, w: number, h: number, dpr: number) => {
    if (c.width !== w) c.width = w;
    if (c.height !== h) c.height = h;
    const g = c.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw(g, store, width, height, range(), selectedSeq, view === null);
  };
  useEffect(() => {
    // Live, a draw is a task of its own, never part of the list's update.
    const wait = live ? Math.max(0, LIVE_REDRAW_MS - (performance.now() - lastDraw.current)) : -1;
    if (wait < 0) return paint.current();
    pendingDraw.current ??= window.setTimeout(() => paint.current(), wait);
  }, [version, width, height, view, selectedSeq, store, live]);
  useEffect(() => () => {
    if (pendingDraw.current !== null) window.clearTimeout(pendingDraw.current);
  }, []);

  const timeAt = (x: number) => {
    const { t0, t1 } = range();
    return t0 + ((x - LABEL_W) / (width - LABEL_W)) * (t1 - t0);
  };

  return (
    <div className="timeline" ref={wrap}>
      <canvas
        ref={canvas}
        style={{ height }}
        role="img"
        aria-label={`Timeline of ${store.events.length} events: transfers, the hub and ${store.lanes.length} devices`}
        onWheel={(ev) => {
          const { t0, t1 } = range();
          const at = timeAt(ev.nativeEvent.offsetX);
          const k = ev.deltaY > 0 ? 1.25 : 0.8;
          setView({ t0: at - (at - t0) * k, t1: at + (t1 - at) * k });
        }}
        onMouseDown={(ev) => {
          const r = range();
          drag.current = { x: ev.clientX, t0: r.t0, t1: r.t1, moved: false };
        }}
        onMouseMove={(ev) => {
          const d = drag.current;
          if (!d) return;
          const dx = ev.clientX - d.x;
          if (Math.abs(dx) > 3) d.moved = true;
          if (!d.moved) return;
          const dt = (dx / (width - LABEL_W)) * (d.t1 - d.t0);
          setView({ t0: d.t0 - dt, t1: d.t1 - dt });
        }}
        onMouseUp={(ev) => {
          const d = drag.current;
          drag.current = null;
          if (d?.moved || ev.nativeEvent.offsetX < LABEL_W) return;
          const seq = nearest(store, timeAt(ev.nativeEvent.offsetX));
          if (seq !== null) onSelect(seq);
        }}
        onMouseLeave={() => (drag.current = null)}
        onDoubleClick={() => setView(null)}
      />
      {view && (
        <button className="fit" onClick={() => setView(null)} title="Show the whole trace (double-click)">
          fit
        </button>
      )}
    </div>
  );
}

/** The seq of the filtered event nearest to time `t`. */
function nearest(store: TraceStore, t: number): number | null {
  const list = store.filtered;
  if (!list.length) return null;
  let lo = 0;
  let hi = list.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (store.events[list[mid]!]!.ts < t) lo = mid + 1;
    else hi = mid;
  }
  const a = store.events[list[lo]!]!;
  const b = lo > 0 ? store.events[list[lo - 1]!]! : a;
  return Math.abs(a.ts - t) < Math.abs(b.ts - t) ? a.seq : b.seq;
}

type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

function draw(
  g: Context2D,
  store: TraceStore,
  width: number,
  height: number,
  r: { t0: number; t1: number },
  selectedSeq: number | null,
  fromBins: boolean,
) {
  const plotW = width - LABEL_W;
  const x = (t: number) => LABEL_W + ((t - r.t0) / (r.t1 - r.t0)) * plotW;
  const lanes = ['hub', ...store.lanes];
  const rowY = (i: number) => TOP + (i + 1) * ROW_H;
  g.clearRect(0, 0, width, height);
  g.fillStyle = '#0f151c';
  g.fillRect(0, 0, width, height);

  // Axis with round-number ticks.
  g.font = '10px ui-monospace, SFMono-Regular, Menlo, monospace';
  g.fillStyle = '#6f7f92';
  g.strokeStyle = '#1e2935';
  const span = r.t1 - r.t0;
  const stepMs = niceStep(span / Math.max(1, plotW / 110));
  for (let t = Math.ceil(r.t0 / stepMs) * stepMs, n = 0; t <= r.t1 && n < 200; t += stepMs, n++) {
    const px = x(t);
    g.beginPath();
    g.moveTo(px + 0.5, TOP - 3);
    g.lineTo(px + 0.5, height);
    g.stroke();
    g.fillText(`+${ms(t - (store.events[0]?.ts ?? r.t0))}`, px + 3, 10);
  }
  // Lane labels and baselines.
  g.fillStyle = '#8291a3';
  g.fillText('transfers', 6, TOP + 10);
  lanes.forEach((id, i) => {
    const label = deviceLabel(store, id).name;
    g.fillStyle = id === 'hub' ? '#c79bff' : store.world.devices[id]?.active ? '#7ee2a8' : '#8291a3';
    g.fillText(label.length > 16 ? `${label.slice(0, 15)}…` : label, 6, rowY(i) + 10);
  });

  // Transfers as bars: green committed, red rolled back, amber pending.
  for (const id of store.transfers.order) {
    const t = store.transfers.byId.get(id)!;
    const x0 = x(t.start);
    const x1 = x(t.end ?? t.lastTs);
    if (x1 < LABEL_W || x0 > width) continue;
    g.fillStyle = t.outcome === 'committed' ? '#3fb97f' : t.outcome === 'pending' ? '#f5c26b' : '#ff6b6b';
    g.fillRect(Math.max(LABEL_W, x0), TOP + 2, Math.max(2, x1 - x0), ROW_H - 4);
  }

  // Event density per lane and pixel; messages as faint lines between hub and device.
  const cols = Math.max(1, Math.ceil(plotW));
  const density = lanes.map(() => new Uint16Array(cols));
  const links = new Uint8Array(cols * lanes.length);
  if (fromBins) {
    const laneLinks = new Uint8Array(cols);
    lanes.forEach((id, li) => {
      store.density.columns(id, r.t0, r.t1, cols, density[li]!, laneLinks);
      for (let c = 0; c < cols; c++) if (laneLinks[c]) links[c * lanes.length + li] = 1;
    });
  } else {
    // Zoomed in: walk the events in view, exact to the pixel.
    const laneIndex = new Map(lanes.map((id, i) => [id, i]));
    const events = store.events;
    for (let i = lowerTs(store, r.t0); i < events.length; i++) {
      const e = events[i]!;
      if (e.ts > r.t1) break;
      const c = Math.floor(x(e.ts) - LABEL_W);
      if (c < 0 || c >= cols) continue;
      const li = laneIndex.get(e.deviceId ?? 'hub') ?? 0;
      density[li]![c]!++;
      if (e.deviceId && (e.kind === 'message.in' || e.kind === 'message.out')) links[c * lanes.length + li] = 1;
      for (const id of e.recipients ?? []) links[c * lanes.length + (laneIndex.get(id) ?? 0)] = 1;
    }
  }
  drawBands(g, LABEL_W, rowY(0), ROW_H, cols, density, links);

  // Problems.
  g.fillStyle = '#ff6b6b';
  for (const a of store.problems.list) {
    const px = x(a.ts);
    if (px < LABEL_W || px > width) continue;
    g.beginPath();
    g.moveTo(px, TOP - 2);
    g.lineTo(px - 4, TOP - 9);
    g.lineTo(px + 4, TOP - 9);
    g.fill();
  }

  // The selected event.
  const sel = selectedSeq === null ? undefined : store.eventBySeq(selectedSeq);
  if (sel) {
    const px = x(sel.ts);
    g.strokeStyle = '#ffd166';
    g.lineWidth = 1.5;
    g.beginPath();
    g.moveTo(px, TOP - 2);
    g.lineTo(px, height);
    g.stroke();
    g.lineWidth = 1;
  }
}

function lowerTs(store: TraceStore, t: number): number {
  let lo = 0;
  let hi = store.events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (store.events[mid]!.ts < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function niceStep(raw: number): number {
  const steps = [
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000,
    3_600_000,
  ];
  return steps.find((s) => s >= raw) ?? Math.ceil(raw / 3_600_000) * 3_600_000;
}

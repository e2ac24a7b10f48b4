import type { TraceEvent } from '../model/types.ts';
import { corrColor, KIND_COLOR } from './format.ts';
import { ROW, type LaneLayout } from './lanes.ts';

const BAD = '#ff6b6b';

/** The rows in view, for the lane canvas: positions into `order` and where the first one's top is. */
export interface GlyphView {
  /** Indices into `events`, in list order (the filtered view). */
  order: readonly number[];
  events: readonly TraceEvent[];
  first: number;
  last: number;
  /** The first row's top, in canvas pixels (negative when it is partly scrolled out). */
  top: number;
}

/**
 * The sequence diagram's left part for the rows in view, on one canvas: each lane's lifeline and
 * each event's glyph (an arrow for a message, a diamond for a transition, a clock for a timer...).
 * One canvas instead of an SVG per row: a live tail replaces every row several times a second, and
 * per-row SVG made style, layout and paint the page's largest cost.
 */
export function drawLaneGlyphs(canvas: HTMLCanvasElement, layout: LaneLayout, height: number, view: GlyphView): void {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.ceil(layout.width * dpr);
  const h = Math.ceil(height * dpr);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const g = canvas.getContext('2d');
  if (!g) return;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, layout.width, height);
  for (const id of layout.ids) {
    g.fillStyle = id === 'hub' ? '#2b2340' : '#1c2631';
    g.fillRect(Math.round(layout.x(id)) - (id === 'hub' ? 1 : 0), 0, id === 'hub' ? 2 : 1, height);
  }
  for (let p = view.first; p < view.last; p++) {
    const e = view.events[view.order[p]!];
    if (!e) continue;
    const y = view.top + (p - view.first) * ROW + ROW / 2;
    if (y < -ROW || y > height + ROW) continue;
    glyph(g, e, layout, y, (e.correlationId ? corrColor(e.correlationId) : KIND_COLOR[e.kind]) ?? '#889');
  }
}

function arrowHead(g: CanvasRenderingContext2D, x: number, y: number, dir: number): void {
  g.beginPath();
  g.moveTo(x, y);
  g.lineTo(x - dir * 6, y - 3.5);
  g.lineTo(x - dir * 6, y + 3.5);
  g.closePath();
  g.fill();
}

function line(g: CanvasRenderingContext2D, x1: number, y1: number, x2: number, y2: number): void {
  g.beginPath();
  g.moveTo(x1, y1);
  g.lineTo(x2, y2);
  g.stroke();
}

function dot(g: CanvasRenderingContext2D, x: number, y: number, r: number, fill: boolean): void {
  g.beginPath();
  g.arc(x, y, r, 0, Math.PI * 2);
  if (fill) g.fill();
  else g.stroke();
}

function cross(g: CanvasRenderingContext2D, x: number, y: number): void {
  g.strokeStyle = BAD;
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(x - 4, y - 4);
  g.lineTo(x + 4, y + 4);
  g.moveTo(x + 4, y - 4);
  g.lineTo(x - 4, y + 4);
  g.stroke();
}

function glyph(g: CanvasRenderingContext2D, e: TraceEvent, layout: LaneLayout, y: number, color: string): void {
  const hub = layout.x('hub');
  const dev = layout.x(e.deviceId);
  g.fillStyle = color;
  g.strokeStyle = color;
  g.lineWidth = 1.6;
  if (e.kind === 'message.out' && e.recipients) {
    // A push: one message, an arrow to each device it went to.
    dot(g, hub, y, 2, true);
    for (const id of e.recipients) {
      const x2 = layout.x(id);
      const dir = x2 > hub ? 1 : -1;
      line(g, hub, y, x2 - dir * 5, y);
      arrowHead(g, x2, y, dir);
    }
    return;
  }
  if (e.kind === 'message.in' || e.kind === 'message.out') {
    // A message from outside (an HTTP command) comes in from the left edge.
    const from = e.deviceId ? dev : 2;
    const [x1, x2] = e.kind === 'message.in' ? [from, hub] : [hub, dev];
    const dir = x2 > x1 ? 1 : -1;
    dot(g, x1, y, 2, true);
    line(g, x1, y, x2 - dir * 5, y);
    arrowHead(g, x2, y, dir);
    return;
  }
  const x = e.deviceId ? dev : hub;
  switch (e.kind) {
    case 'transition':
      g.beginPath();
      g.moveTo(x, y - 5);
      g.lineTo(x + 5, y);
      g.lineTo(x, y + 5);
      g.lineTo(x - 5, y);
      g.closePath();
      g.fill();
      return;
    case 'transfer.phase':
      g.fillRect(x - 4.5, y - 4.5, 9, 9);
      return;
    case 'timer.armed':
    case 'timer.fired':
    case 'timer.cancelled':
      g.lineWidth = 1.4;
      dot(g, x, y, 4.5, false);
      g.beginPath();
      g.moveTo(x, y - 2.5);
      g.lineTo(x, y);
      g.lineTo(x + 2.5, y);
      g.stroke();
      if (e.kind === 'timer.cancelled') line(g, x - 5, y + 5, x + 5, y - 5);
      return;
    case 'command.result':
      if (e.type !== 'ok') return cross(g, x, y);
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(x - 4, y);
      g.lineTo(x - 1, y + 3);
      g.lineTo(x + 4, y - 3);
      g.stroke();
      return;
    case 'error':
      return cross(g, x, y);
    case 'connection': {
      const opened = e.type === 'opened';
      g.lineWidth = 1.5;
      g.fillStyle = '#7ee2a8';
      g.strokeStyle = opened ? '#7ee2a8' : '#ff8f70';
      if (opened) dot(g, x, y, 4, true);
      dot(g, x, y, 4, false);
      return;
    }
    case 'presence':
      g.lineWidth = 1.5;
      dot(g, x, y, 3.5, false);
      return;
    default:
      dot(g, x, y, 2.5, true);
  }
}

import { useEffect, useState } from 'react';
import { readChart, type Chart } from '../model/machine.ts';
import type { TraceStore } from '../model/store.ts';
import type { TraceEvent } from '../model/types.ts';
import { call } from '../net/api.ts';

interface Props {
  store: TraceStore;
  /** The selected event's index, or undefined for now. */
  index: number | undefined;
  token: string | null;
  onSelect: (seq: number) => void;
}

/** The last `transition` event at or before `index` (the newest when undefined), searching a bounded way back. */
export function lastTransition(store: TraceStore, index: number | undefined): TraceEvent | undefined {
  const from = index ?? store.events.length - 1;
  for (let i = from; i >= 0 && i > from - 50_000; i--) if (store.events[i]!.kind === 'transition') return store.events[i];
  return undefined;
}

/** The next (dir 1) or previous (-1) transition from `index`, for keyboard stepping. */
export function stepTransition(store: TraceStore, index: number | undefined, dir: 1 | -1): TraceEvent | undefined {
  const start = index ?? (dir === 1 ? -1 : store.events.length);
  for (let i = start + dir; i >= 0 && i < store.events.length; i += dir) if (store.events[i]!.kind === 'transition') return store.events[i];
  return undefined;
}

const W = 248;
const BOX_W = 70;
const BOX_H = 24;
const Y = 58;

/**
 * The session machine the hub runs, drawn from its definition: the state at the selected event
 * highlighted, and the transition that led there. `[` and `]` step through transitions.
 */
export function Statechart({ store, index, token, onSelect }: Props) {
  const [chart, setChart] = useState<Chart | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!token) return;
    let gone = false;
    call(token, 'GET', '/v1/trace/machine')
      .then(async (res) => readChart(await res.json()))
      .then((c) => !gone && setChart(c))
      .catch((err: Error) => !gone && setError(err.message));
    return () => {
      gone = true;
    };
  }, [token]);

  const last = lastTransition(store, index);
  const state = last?.kind === 'transition' ? last.to : (store.baseline?.machine ?? store.world.machine);
  const via = last?.kind === 'transition' ? { from: last.from ?? null, to: last.to, event: last.type } : null;

  let body;
  if (!token) body = <p className="muted small">The statechart comes from the hub: sign in to see it.</p>;
  else if (error) body = <p className="small bad">Could not read the session machine: {error}</p>;
  else if (!chart) body = <p className="muted small">Reading the session machine…</p>;
  else {
    const x = (s: string) => {
      const i = chart.states.indexOf(s);
      const n = Math.max(1, chart.states.length);
      return 8 + BOX_W / 2 + (i * (W - 16 - BOX_W)) / Math.max(1, n - 1);
    };
    // One arc per ordered pair of states, its events listed; forward arcs above, backward below.
    const pairs = new Map<string, { from: string; to: string; events: string[] }>();
    for (const e of chart.edges) {
      const key = `${e.from}>${e.to}`;
      const p = pairs.get(key) ?? { from: e.from, to: e.to, events: [] };
      if (!p.events.includes(e.event)) p.events.push(e.event);
      pairs.set(key, p);
    }
    body = (
      <svg width={W} height={120} role="img" aria-label={`Session machine: ${chart.states.join(', ')}; now ${state}${via ? `, after ${via.event}` : ''}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M0,0 L8,4 L0,8 z" fill="context-stroke" />
          </marker>
        </defs>
        {[...pairs.values()].map((p) => {
          const x1 = x(p.from);
          const x2 = x(p.to);
          const forward = x2 > x1;
          const bend = forward ? -34 - Math.abs(x2 - x1) * 0.08 : 34 + Math.abs(x2 - x1) * 0.08;
          const y0 = forward ? Y - BOX_H / 2 : Y + BOX_H / 2;
          const hot = via !== null && via.from === p.from && via.to === p.to;
          return (
            <g key={`${p.from}>${p.to}`} className={`edge${hot ? ' hot' : ''}`} data-edge={`${p.from}>${p.to}`}>
              <path d={`M${x1},${y0} Q${(x1 + x2) / 2},${Y + bend} ${x2},${y0}`} fill="none" markerEnd="url(#arrow)" />
              <text x={(x1 + x2) / 2} y={Y + bend * 0.62 + (forward ? 0 : 8)} textAnchor="middle">
                {hot ? via.event : p.events.length > 1 ? `${p.events[0]} +${p.events.length - 1}` : p.events[0]}
              </text>
            </g>
          );
        })}
        {chart.states.map((s) => (
          <g key={s} className={`state${s === state ? ' current' : ''}`} data-state={s}>
            <rect x={x(s) - BOX_W / 2} y={Y - BOX_H / 2} width={BOX_W} height={BOX_H} rx={6} />
            <text x={x(s)} y={Y + 4} textAnchor="middle">
              {s}
            </text>
          </g>
        ))}
      </svg>
    );
  }

  const prev = stepTransition(store, index ?? store.events.length, -1);
  const next = index === undefined ? undefined : stepTransition(store, index, 1);
  return (
    <section className="panel statechart" aria-label="Statechart">
      <h2>
        Statechart <span className="muted" data-testid="chart-state">{state}</span>
      </h2>
      {body}
      <div className="chart-steps small">
        <button onClick={() => prev && onSelect(prev.seq)} disabled={!prev} title="Previous transition ([)">
          ◀
        </button>
        <span className="muted" data-testid="chart-via">
          {via && last ? `#${last.seq}: ${via.from ?? '?'} → ${via.to} on ${via.event}` : 'no transition yet'}
        </span>
        <button onClick={() => next && onSelect(next.seq)} disabled={!next} title="Next transition (])">
          ▶
        </button>
      </div>
    </section>
  );
}

import { useMemo } from 'react';
import { PROBLEM_LABEL } from '../model/problems.ts';
import type { TraceStore } from '../model/store.ts';
import type { Cluster } from '../model/types.ts';
import { positionAt } from '../model/types.ts';
import type { World } from '../model/world.ts';
import { diff, short } from './diff.ts';
import { clock, corrColor, KIND_COLOR, ms, position } from './format.ts';
import { JsonView } from './JsonView.tsx';
import { Icon } from './Icon.tsx';
import { deviceLabel } from './lanes.ts';
import { TransferCard } from './TransferCard.tsx';

interface Props {
  store: TraceStore;
  version: number;
  index: number | undefined;
  /** The selected seq, which may not be held (an evicted deep link): then the detail says why. */
  selectedSeq: number | null;
  onSelect: (seq: number) => void;
  onFilterCorr: (id: string) => void;
  /** Clear the selection (closes the drawer on narrow windows). */
  onClose: () => void;
  serverNow: () => number;
}

/** The selected event: what it is, what caused it and what it caused, its payload, and the state of every device right after it. */
export function Detail({ store, index, selectedSeq, onSelect, onFilterCorr, onClose }: Props) {
  const selected = index === undefined ? undefined : store.events[index];
  // Time travel replays up to a checkpoint's worth of events: once per selected event, not on every live frame.
  const worldAfter = useMemo(() => (index === undefined || !selected ? null : store.worldAt(index)), [store, index, selected]);
  const clusterBefore = useMemo(() => (index === undefined || !selected ? null : store.clusterBefore(index)), [store, index, selected]);
  if (index === undefined && selectedSeq !== null && (store.source.kind === 'file' || store.lastSeq >= selectedSeq || (store.baseline?.throughSeq ?? 0) >= selectedSeq)) {
    return (
      <aside className="detail empty-detail" aria-label="Event detail">
        <p role="alert" data-testid="missing-event">
          {store.whyMissing(selectedSeq)}
        </p>
        <button onClick={() => onSelect(store.events[0]?.seq ?? selectedSeq)}>Go to the oldest event held</button>
      </aside>
    );
  }
  if (index === undefined) {
    return (
      <aside className="detail empty-detail">
        <p>Select an event to see its payload, what caused it, and the state of every device at that moment.</p>
        <p className="muted">
          <kbd>j</kbd> <kbd>k</kbd> move · <kbd>/</kbd> search · <kbd>?</kbd> all keys
        </p>
      </aside>
    );
  }
  const e = store.events[index]!;
  const prev = index > 0 ? store.events[index - 1] : undefined;
  const parent = e.parentSeq !== undefined ? store.eventBySeq(e.parentSeq) : undefined;
  const children = store.childrenOf(e.seq, 12);
  const world = worldAfter ?? store.worldAt(index);
  const pushed: Cluster | null =
    e.kind === 'message.out' && (e.payload.type === 'cluster.update' || e.payload.type === 'hub.welcome') ? e.payload.cluster : null;
  const transfer = e.correlationId
    ? (store.transfers.byId.get(e.correlationId) ?? store.transfers.byCommand(e.correlationId))
    : undefined;
  const problems = store.problems.bySeq.get(e.seq) ?? [];
  const clusterChange = pushed
    ? diff(clusterBefore, pushed).filter((c) => !c.path.endsWith('lastSeenAt'))
    : null;

  return (
    <aside className="detail" aria-label="Event detail">
      <header className="d-head">
        <button className="drawer-close" onClick={() => onClose()} aria-label="Close the detail (Esc)">
          ×
        </button>
        <div className="d-title">
          <span className="d-seq">#{e.seq}</span>
          <span className="d-kind" style={{ color: KIND_COLOR[e.kind] }}>
            {e.kind}
          </span>
          <b>{e.type}</b>
        </div>
        <div className="d-meta">
          <span>{clock(e.ts)}</span>
          {prev && (
            <span className="muted">
              +{ms(e.ts - prev.ts)} after #{prev.seq}
            </span>
          )}
          <span>
            {e.kind === 'message.in'
              ? `${deviceLabel(store, e.deviceId ?? 'hub').name} → hub`
              : e.kind === 'message.out'
                ? `hub → ${e.recipients ? e.recipients.map((id) => deviceLabel(store, id).name).join(', ') : deviceLabel(store, e.deviceId ?? 'hub').name}`
                : (e.deviceId ?? 'hub')}
          </span>
        </div>
        <div className="d-links">
          {e.correlationId && (
            <button
              className="chip"
              style={{ color: corrColor(e.correlationId), background: corrColor(e.correlationId, 0.14) }}
              onClick={() => onFilterCorr(e.correlationId!)}
              title="Show only this correlation (c)"
            >
              {e.correlationId}
            </button>
          )}
          {parent && (
            <button className="chip" onClick={() => onSelect(parent.seq)} title="The event that caused this one (p)">
              ↖ caused by #{parent.seq} {parent.type}
            </button>
          )}
          {children.map((c) => (
            <button key={c.seq} className="chip" onClick={() => onSelect(c.seq)} title="Caused by this event">
              ↘ #{c.seq} {c.type}
            </button>
          ))}
        </div>
      </header>

      {problems.map((a) => (
        <div key={a.message} className="problem-banner" role="note">
          ⚠ {PROBLEM_LABEL[a.kind]}: {a.message}
        </div>
      ))}

      {transfer && (
        <section>
          <h3>Transfer</h3>
          <TransferCard store={store} t={transfer} onSelect={onSelect} />
        </section>
      )}

      {e.kind === 'transition' && (
        <section>
          <h3>State change</h3>
          <div className="transition">
            <span className="state">{e.from ?? '?'}</span> → <span className="state to">{e.to}</span>
            <span className="muted"> on {e.type}</span>
          </div>
        </section>
      )}

      {clusterChange && (
        <section>
          <h3>Cluster change {clusterChange.length === 0 ? '(none: same as before)' : `(${clusterChange.length})`}</h3>
          <table className="diff">
            <tbody>
              {clusterChange.slice(0, 40).map((c) => (
                <tr key={c.path}>
                  <td className="path">{c.path || '(all)'}</td>
                  <td className="before">{short(c.before)}</td>
                  <td className="after">{short(c.after)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <DevicesAt store={store} world={world} />

      {e.payload !== undefined && (
        <section>
          <h3>Payload</h3>
          <JsonView value={e.payload} />
        </section>
      )}
      <section>
        <h3>Event</h3>
        <JsonView value={{ ...e, payload: e.payload === undefined ? undefined : '…above' }} open={1} />
      </section>
    </aside>
  );
}

/** Time travel: the hub and every device as they were right after the selected event. */
function DevicesAt({ store, world }: { store: TraceStore; world: World }) {
  const cluster = world.cluster ?? store.helloCluster;
  const track = cluster?.playback.track;
  const devices = Object.values(world.devices);
  const timers = Object.values(world.timers);
  return (
    <section className="devices-at">
      <h3>
        At this moment{' '}
        <span className="muted">
          hub {world.machine} · rev {cluster?.revision ?? '–'}
        </span>
      </h3>
      {track && cluster && (
        <div className="np-mini">
          <Icon name={cluster.playback.position.rate > 0 ? 'play' : 'pause'} size={11} /> {track.name}{' '}
          <span className="muted">— {track.artists.join(', ')}</span>{' '}
          <span className="num">{position(positionAt(cluster.playback.position, world.ts, track.durationMs))}</span>
        </div>
      )}
      <table className="devtable">
        <thead>
          <tr>
            <th>device</th>
            <th title="connected / online">conn</th>
            <th title="active device">act</th>
            <th title="producing sound">sound</th>
            <th>vol</th>
            <th title="newest cluster revision sent to it">rev</th>
            <th title="clock offset ± error">clock</th>
          </tr>
        </thead>
        <tbody>
          {devices.map((d) => (
            <tr key={d.id} className={d.active ? 'active' : ''} data-device={d.id}>
              <td title={d.id}>
                <Icon name={d.kind} size={12} /> {d.name}
                {d.role && <span className={`role ${d.role}`}>{d.role}</span>}
                {d.silent && <span className="role silent">silent</span>}
              </td>
              <td>
                <span
                  className={`dot ${d.connected ? 'on' : d.online ? 'grace' : 'off'}`}
                  title={d.connected ? 'connected' : d.online ? 'in grace period' : 'offline'}
                />
              </td>
              <td>{d.active ? '★' : ''}</td>
              <td className={d.playing ? 'playing' : 'muted'}>
                {d.playing ? '▶ playing' : d.pendingSwitch ? `${d.pendingSwitch.role} at T` : '—'}
              </td>
              <td className="num">{d.volume ?? '–'}</td>
              <td className="num">{d.revision ?? '–'}</td>
              <td
                className="num"
                title={
                  d.offsetMs === null
                    ? 'no estimate yet'
                    : `device clock − hub clock = ${d.offsetMs.toFixed(1)} ms ± ${(d.errorMs ?? 0).toFixed(1)} ms`
                }
              >
                {d.offsetMs === null ? '–' : `${d.offsetMs >= 0 ? '+' : '−'}${(Math.abs(d.offsetMs) / 1000).toFixed(2)}s`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {timers.length > 0 && (
        <div className="timers-at">
          {timers.map((t) => (
            <span key={t.id} className="chip" title={`armed at #${t.seq}`}>
              ◷ {t.id} in {ms(t.at - world.ts)}
            </span>
          ))}
        </div>
      )}
    </section>
  );
}

import { memo } from 'react';
import { PROBLEM_LABEL } from '../model/problems.ts';
import type { TraceStore } from '../model/store.ts';
import { positionAt } from '../model/types.ts';
import type { Session } from '../net/auth.ts';
import { BrowserDevicePanel } from './BrowserDevicePanel.tsx';
import { Controller } from './Controller.tsx';
import { clock, ms, position } from './format.ts';
import { useNow } from './hooks.ts';
import { Icon } from './Icon.tsx';
import { Statechart } from './Statechart.tsx';
import { TransferCard } from './TransferCard.tsx';

interface Props {
  store: TraceStore;
  version: number;
  session: Session | null;
  canControl: boolean;
  serverNow: () => number;
  live: boolean;
  onSelect: (seq: number) => void;
  onFilterCorr: (id: string) => void;
  /** The selected event's index (the statechart shows the state there). */
  selectedIndex: number | undefined;
}

/** The left column: problems first, then the cluster now, the controller, pending timers, recent transfers. */
export const SidePanels = memo(function SidePanels({ store, session, canControl, serverNow, live, onSelect, onFilterCorr, selectedIndex }: Props) {
  // Positions and countdowns move twice a second while live (not while paused: then nothing but appending happens).
  useNow(500, live);
  const now = serverNow();
  const world = store.world;
  const cluster = world.cluster ?? store.helloCluster;
  const track = cluster?.playback.track;
  const pos = cluster && track ? positionAt(cluster.playback.position, now, track.durationMs) : 0;
  const devices = cluster?.devices ?? [];
  const timers = Object.values(world.timers).sort((a, b) => a.at - b.at);
  const transfers = store.transfers.order
    .slice(-12)
    .reverse()
    .map((id) => store.transfers.byId.get(id)!);
  const problems = store.problems.list;

  return (
    <div className="side">
      <section className="panel problems-panel" aria-label="Problems">
        <h2>
          Problems <span className={problems.length ? 'bad' : 'muted'}>{problems.length}</span>
        </h2>
        {problems.length === 0 && (
          <p className="muted small">
            None: no failed command, rollback, refusal, error, unexpected disconnect or silent device, and no invariant broken.
          </p>
        )}
        <ul className="problems">
          {problems
            .slice(-30)
            .reverse()
            .map((a, i) => (
              <li key={`${a.seq}-${i}`} className={`p-${a.kind}`}>
                <button className="link" onClick={() => onSelect(a.seq)}>
                  <b>{PROBLEM_LABEL[a.kind]}</b> <span className="muted">#{a.seq}</span>
                  <br />
                  <span className="small">{a.message}</span>
                </button>
              </li>
            ))}
        </ul>
      </section>

      <Statechart store={store} index={selectedIndex} token={session?.token ?? null} onSelect={onSelect} />

      <section className="panel cluster" aria-label="Cluster">
        <h2>
          Cluster{' '}
          <span className="muted">
            rev {cluster?.revision ?? '–'} · {world.machine}
          </span>
        </h2>
        {devices.length === 0 && <p className="muted small">No device has connected yet.</p>}
        <ul className="device-list">
          {devices.map((d) => {
            const state = world.devices[d.id];
            const active = cluster?.activeDeviceId === d.id;
            const group = cluster?.groups?.find((g) => g.deviceIds.includes(d.id));
            return (
              <li key={d.id} className={`${active ? 'active' : ''} ${d.online ? '' : 'offline'}`} data-device={d.id}>
                <span className="kind-icon" title={d.kind}>
                  <Icon name={d.kind} />
                </span>
                <span className="dev-name" title={`${d.id} · ${d.kind}`}>
                  {d.name}
                </span>
                <span
                  className={`dot ${state?.connected ? 'on' : d.online ? 'grace' : 'off'}`}
                  title={state?.connected ? 'connected' : d.online ? 'in grace period' : 'offline'}
                />
                {active && (
                  <span className="badge active">{(cluster?.playback.position.rate ?? 0) > 0 ? 'playing' : 'active'}</span>
                )}
                {group && (
                  <span className={`badge group${cluster?.activeDeviceId === group.id ? ' active' : ''}`} title={`member of group ${group.name} (${group.id})`}>
                    {group.name}
                  </span>
                )}
                {state?.silent && <span className="badge bad">silent</span>}
                <span className="vol" title={`volume ${d.volume}%`}>
                  <span style={{ width: `${d.volume}%` }} />
                </span>
              </li>
            );
          })}
        </ul>
        {track && cluster && (
          <div className="now-playing" aria-label="Now playing">
            <div className="np-title">
              <Icon name={cluster.playback.position.rate > 0 ? 'play' : 'pause'} size={11} /> <b>{track.name}</b>
            </div>
            <div className="muted small">
              {track.artists.join(', ')} · {track.album}
              {cluster.playback.shuffle ? ' · shuffle' : ''}
              {cluster.playback.repeat !== 'off' ? ` · repeat ${cluster.playback.repeat}` : ''}
            </div>
            <div className="progress">
              <span style={{ width: `${(100 * pos) / track.durationMs}%` }} />
            </div>
            <div className="np-time num">
              <span data-testid="position">{position(pos)}</span>
              <span>{position(track.durationMs)}</span>
            </div>
          </div>
        )}
      </section>

      <Controller session={session} cluster={cluster} enabled={canControl} positionMs={pos} />
      <BrowserDevicePanel session={session} enabled={canControl} />

      <section className="panel" aria-label="Timers">
        <h2>
          Timers <span className="muted">{timers.length} pending</span>
        </h2>
        {timers.length === 0 && <p className="muted small">None armed.</p>}
        {timers.map((t) => {
          const total = Math.max(1, t.at - t.armedTs);
          const left = t.at - now;
          return (
            <button
              key={t.id}
              className="timer"
              onClick={() => onSelect(t.seq)}
              title={`armed at ${clock(t.armedTs)} (#${t.seq}), due ${clock(t.at)}`}
            >
              <span className="t-name">{t.id}</span>
              <span className={`t-left num ${left < 0 ? 'bad' : ''}`}>{left < 0 ? `${ms(-left)} overdue` : ms(left)}</span>
              <span className="t-bar">
                <span style={{ width: `${Math.max(0, Math.min(100, (100 * left) / total))}%` }} />
              </span>
            </button>
          );
        })}
      </section>

      <section className="panel" aria-label="Transfers">
        <h2>
          Transfers <span className="muted">{store.transfers.order.length}</span>
        </h2>
        {transfers.length === 0 && <p className="muted small">None yet.</p>}
        {transfers.map((t) => (
          <div key={t.id} onDoubleClick={() => onFilterCorr(t.id)} title="Double-click: only this transfer's events">
            <TransferCard store={store} t={t} onSelect={onSelect} compact />
          </div>
        ))}
      </section>
    </div>
  );
});

import { useEffect, useState } from 'react';
import type { Cluster } from '../model/types.ts';
import { player } from '../net/api.ts';
import type { Session } from '../net/auth.ts';
import { position } from './format.ts';
import { Icon } from './Icon.tsx';

interface Props {
  session: Session | null;
  cluster: Cluster | null;
  enabled: boolean;
  positionMs: number;
}

/**
 * Send commands as the user through the Web API player endpoints, to reproduce a problem while
 * watching it: transfer, play/pause, previous/next, seek and volume.
 */
export function Controller({ session, cluster, enabled, positionMs }: Props) {
  const devices = cluster?.devices ?? [];
  const [target, setTarget] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [seek, setSeek] = useState<number | null>(null);
  const [volume, setVolume] = useState<number | null>(null);

  useEffect(() => {
    if (!target || !devices.some((d) => d.id === target)) {
      const candidate = devices.find((d) => d.online && d.id !== cluster?.activeDeviceId && d.capabilities.canPlay) ?? devices[0];
      if (candidate) setTarget(candidate.id);
    }
  }, [devices, target, cluster?.activeDeviceId]);

  if (!enabled || !session) {
    return (
      <section className="panel controller">
        <h2>Controller</h2>
        <p className="muted small">
          Commands go as the signed-in user: sign in as this user (not an imported file, not an admin looking at someone else) to
          send them.
        </p>
      </section>
    );
  }
  const token = session.token;
  const run = async (label: string, f: () => Promise<unknown>) => {
    setBusy(true);
    const started = performance.now();
    try {
      await f();
      setResult({ ok: true, text: `${label}: done in ${Math.round(performance.now() - started)} ms` });
    } catch (err) {
      setResult({ ok: false, text: `${label}: ${(err as Error).message}` });
    } finally {
      setBusy(false);
    }
  };
  const active = devices.find((d) => d.id === cluster?.activeDeviceId);
  const track = cluster?.playback.track;
  const playing = (cluster?.playback.position.rate ?? 0) > 0;
  const targetDevice = devices.find((d) => d.id === target);

  return (
    <section className="panel controller" aria-label="Controller">
      <h2>Controller</h2>
      <div className="ctl-row">
        <select aria-label="Target device" value={target} onChange={(ev) => setTarget(ev.target.value)}>
          {devices.map((d) => (
            <option key={d.id} value={d.id} disabled={!d.online}>
              {d.name}
              {d.id === cluster?.activeDeviceId ? ' (active)' : ''}
              {!d.online ? ' (offline)' : ''}
            </option>
          ))}
        </select>
        <button
          className="primary"
          disabled={busy || !target}
          onClick={() => void run(`transfer to ${targetDevice?.name ?? target}`, () => player.transfer(token, target, true))}
        >
          Transfer
        </button>
      </div>
      <div className="ctl-row buttons">
        <button
          disabled={busy || !active}
          onClick={() => void run('previous', () => player.previous(token))}
          title="Previous track"
          aria-label="Previous track"
        >
          <Icon name="prev" />
        </button>
        {playing ? (
          <button disabled={busy} onClick={() => void run('pause', () => player.pause(token))}>
            <Icon name="pause" /> Pause
          </button>
        ) : (
          <button
            disabled={busy || !active}
            onClick={() =>
              void run('play', () => (track ? player.play(token) : player.playContext(token, 'demo:album:night-drive')))
            }
          >
            <Icon name="play" /> Play
          </button>
        )}
        <button
          disabled={busy || !active}
          onClick={() => void run('next', () => player.next(token))}
          title="Next track"
          aria-label="Next track"
        >
          <Icon name="next" />
        </button>
      </div>
      {track && (
        <label className="ctl-slider">
          <span>seek</span>
          <input
            type="range"
            aria-label="Seek"
            min={0}
            max={track.durationMs}
            step={1000}
            value={seek ?? positionMs}
            onChange={(ev) => setSeek(Number(ev.target.value))}
            onPointerUp={() =>
              seek !== null && void run(`seek to ${position(seek)}`, () => player.seek(token, seek)).then(() => setSeek(null))
            }
            onKeyUp={() =>
              seek !== null && void run(`seek to ${position(seek)}`, () => player.seek(token, seek)).then(() => setSeek(null))
            }
          />
          <span className="num">{position(seek ?? positionMs)}</span>
        </label>
      )}
      {targetDevice && targetDevice.capabilities.volumeSteps > 0 && (
        <label className="ctl-slider">
          <span>vol</span>
          <input
            type="range"
            aria-label="Volume"
            min={0}
            max={100}
            value={volume ?? targetDevice.volume}
            onChange={(ev) => setVolume(Number(ev.target.value))}
            onPointerUp={() =>
              volume !== null &&
              void run(`volume ${volume}% on ${targetDevice.name}`, () => player.volume(token, volume, targetDevice.id)).then(
                () => setVolume(null),
              )
            }
            onKeyUp={() =>
              volume !== null &&
              void run(`volume ${volume}% on ${targetDevice.name}`, () => player.volume(token, volume, targetDevice.id)).then(
                () => setVolume(null),
              )
            }
          />
          <span className="num">{volume ?? targetDevice.volume}%</span>
        </label>
      )}
      {result && (
        <div className={`ctl-result ${result.ok ? 'ok' : 'err'}`} role="status">
          {result.text}
        </div>
      )}
    </section>
  );
}

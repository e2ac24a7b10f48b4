import { useEffect, useRef, useState } from 'react';
import { BrowserDevice, type BrowserDeviceStatus } from '../device/browser-device.ts';
import type { Session } from '../net/auth.ts';

interface Props {
  session: Session | null;
  enabled: boolean;
}

declare global {
  interface Window {
    /** This tab as a device, for tests and the curious (its status() reads the real audio output). */
    __handoffBrowserDevice?: BrowserDevice;
  }
}

/**
 * "Play in this browser": register the tab as a Computer device of the signed-in user. It plays a
 * tone per track through Web Audio, honours scheduled switch times, and shows its clock estimate.
 */
export function BrowserDevicePanel({ session, enabled }: Props) {
  const device = useRef<BrowserDevice | null>(null);
  const [status, setStatus] = useState<BrowserDeviceStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!status) return;
    const timer = setInterval(() => device.current && setStatus(device.current.status()), 250);
    return () => clearInterval(timer);
  }, [status]);

  useEffect(() => () => device.current?.stop(), []);

  if (!enabled || !session) return null;
  if (session.role === 'admin') {
    // The hub refuses admin tokens on the device socket (4003): such a token must never sit in a device.
    return (
      <section className="panel" aria-label="This browser">
        <h2>This browser</h2>
        <p className="muted small">Sign in with a viewer token of this user to play here: an admin token cannot register a device.</p>
      </section>
    );
  }

  const join = async () => {
    setError(null);
    const d = new BrowserDevice(session.token);
    device.current = d;
    window.__handoffBrowserDevice = d;
    try {
      await d.start();
      setStatus(d.status());
    } catch (err) {
      setError((err as Error).message);
      d.stop();
      device.current = null;
    }
  };
  const leave = () => {
    device.current?.stop();
    device.current = null;
    delete window.__handoffBrowserDevice;
    setStatus(null);
  };

  return (
    <section className="panel" aria-label="This browser">
      <h2>
        This browser {status && <span className="muted">{status.id}</span>}
      </h2>
      {!status ? (
        <>
          <button type="button" onClick={() => void join()} data-testid="play-here">
            Play in this browser
          </button>
          <p className="muted small">Joins as a Computer device of this user; sound is a tone per track.</p>
        </>
      ) : (
        <div className="small" data-testid="browser-device">
          <div>
            {status.connected ? 'connected' : 'connecting…'} · {status.audio.playing ? `playing ${status.audio.frequency?.toFixed(0)} Hz` : 'silent'} · level{' '}
            <span className="num">{status.audio.level.toFixed(3)}</span>
          </div>
          <div className="muted">
            clock offset <span className="num">{Number.isFinite(status.errorMs) ? `${status.offsetMs.toFixed(1)} ms ± ${status.errorMs.toFixed(1)} ms` : 'measuring…'}</span>
            {Number.isFinite(status.rttMs) && <> · rtt <span className="num">{status.rttMs.toFixed(1)} ms</span></>}
          </div>
          <button type="button" onClick={leave}>
            Leave
          </button>
        </div>
      )}
      {error && <p className="small error">{error}</p>}
    </section>
  );
}

import { useRef, useState } from 'react';
import type { TraceStore } from '../model/store.ts';
import type { Session } from '../net/auth.ts';
import type { LiveStatus } from '../net/live.ts';
import { count } from './format.ts';
import { useNow } from './hooks.ts';
import { Icon, Logo } from './Icon.tsx';

interface Props {
  store: TraceStore;
  session: Session | null;
  viewUser: string | null;
  status: LiveStatus | null;
  follow: boolean;
  paused: boolean;
  onFollow: () => void;
  onPause: () => void;
  onExportNdjson: () => void;
  onExportHub: (format: 'otlp' | 'chrome') => void;
  onImport: (file: File) => void;
  onSwitchUser: (user: string) => void;
  onSignOut: () => void;
  onHelp: () => void;
}

export function Header(p: Props) {
  // While paused the store only queues events and tells nobody: the count is read twice a second.
  useNow(500, p.paused);
  const newWhilePaused = p.store.held?.length ?? 0;
  const file = useRef<HTMLInputElement>(null);
  const [menu, setMenu] = useState(false);
  const [userInput, setUserInput] = useState('');
  const live = p.store.source.kind === 'live';
  const source = p.store.source;
  const st = p.status?.state;
  return (
    <header className="top">
      <div className="brand">
        <Logo size={18} />
        handoff <span className="muted">trace</span>
      </div>
      <div className="source">
        {live ? (
          <>
            <span
              className={`live-dot ${st ?? ''}`}
              data-testid="live-state"
              title={st === 'reconnecting' && p.status?.state === 'reconnecting' ? p.status.why : st}
            >
              {st === 'live' ? 'LIVE' : st === 'reconnecting' ? 'RECONNECTING' : st === 'refused' ? 'REFUSED' : 'CONNECTING'}
            </span>
            <span className="user" data-testid="view-user">
              {p.viewUser}
            </span>
            <span className="muted">
              as {p.session?.sub} ({p.session?.role})
            </span>
            {p.session?.role === 'admin' && (
              <form
                className="switch-user"
                onSubmit={(ev) => {
                  ev.preventDefault();
                  if (userInput.trim()) p.onSwitchUser(userInput.trim());
                }}
              >
                <input
                  placeholder="look up user…"
                  value={userInput}
                  onChange={(ev) => setUserInput(ev.target.value)}
                  aria-label="User to look up"
                />
              </form>
            )}
          </>
        ) : (
          <>
            <span className="file-badge">FILE</span>
            <span className="user">{source.kind === 'file' ? source.name : ''}</span>
            {source.kind === 'file' && source.userId && <span className="muted">user {source.userId}</span>}
          </>
        )}
      </div>
      <div className="stats">
        <span>
          <b data-testid="event-count">{count(p.store.events.length)}</b> events
        </span>
        <span>
          <b>{p.store.lanes.length}</b> devices
        </span>
        <span className={p.store.problems.list.length ? 'bad' : ''} data-testid="problem-count" title="Failed results, rollbacks, refusals, errors, unexpected disconnects, silent devices and broken invariants (a: next)">
          <b>{count(p.store.problems.list.length)}</b> problems
        </span>
        {p.store.gaps.length > 0 && (
          <span className="bad" title={p.store.gaps.map((g) => `${g.fromSeq}–${g.toSeq} (${g.reason})`).join('\n')}>
            <b>{p.store.gaps.length}</b> gaps
          </span>
        )}
      </div>
      <div className="actions">
        {live && (
          <>
            <button className={p.paused ? 'on' : ''} onClick={p.onPause} title="Freeze the view; events keep arriving (space)">
              <Icon name={p.paused ? 'play' : 'pause'} size={11} />{' '}
              {p.paused ? `Resume${newWhilePaused ? ` (+${count(newWhilePaused)})` : ''}` : 'Pause'}
            </button>
            <button className={p.follow && !p.paused ? 'on' : ''} onClick={p.onFollow} title="Stick to the newest event (f)">
              ⤓ Follow
            </button>
          </>
        )}
        <div className="menu-wrap">
          <button onClick={() => setMenu((m) => !m)} aria-haspopup="menu" aria-expanded={menu}>
            ⇩ Export
          </button>
          {menu && (
            <div className="menu" role="menu" onClick={() => setMenu(false)}>
              <button role="menuitem" onClick={p.onExportNdjson}>
                Trace file (.ndjson) <span className="muted">what is loaded, re-importable</span>
              </button>
              <button role="menuitem" disabled={!live} onClick={() => p.onExportHub('otlp')}>
                OTLP JSON <span className="muted">for Jaeger</span>
              </button>
              <button role="menuitem" disabled={!live} onClick={() => p.onExportHub('chrome')}>
                Chrome trace JSON <span className="muted">for Perfetto</span>
              </button>
              <button role="menuitem" onClick={() => void navigator.clipboard?.writeText(location.href)}>
                Copy link to this view
              </button>
            </div>
          )}
        </div>
        <button onClick={() => file.current?.click()} title="Open a trace file (.ndjson); works without a hub">
          ⇧ Import
        </button>
        <input
          ref={file}
          type="file"
          accept=".ndjson,.jsonl,.json,application/x-ndjson,application/json"
          hidden
          data-testid="import-file"
          onChange={(ev) => {
            const f = ev.target.files?.[0];
            if (f) p.onImport(f);
            ev.target.value = '';
          }}
        />
        <button onClick={p.onHelp} title="Keyboard shortcuts (?)">
          ?
        </button>
        <button onClick={p.onSignOut} title="Sign out and pick another user or file">
          ⎋
        </button>
      </div>
    </header>
  );
}

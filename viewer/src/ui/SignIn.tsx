import { useEffect, useRef, useState } from 'react';
import type { HubInfo } from '../model/types.ts';
import { devToken } from '../net/api.ts';
import { decodeToken, type Session } from '../net/auth.ts';
import { beginSignIn, finishSignIn, isCallback } from '../net/oidc.ts';
import { Logo } from './Icon.tsx';

interface Props {
  info: HubInfo | null | 'loading';
  session: Session | null;
  defaultUser: string | null;
  error: string | null;
  onSignIn: (s: Session, userId: string) => void;
  onImport: (file: File) => void;
  onError: (message: string | null) => void;
}

/**
 * Sign in: in dev mode pick a user (and role); with an identity provider, "Sign in with <issuer>"
 * (the role comes from the provider's token; an admin then names the user to look up); with a
 * secret, paste a viewer or admin token. Or open a trace file: that needs no hub at all.
 */
export function SignIn({ info, session, defaultUser, error, onSignIn, onImport, onError }: Props) {
  const [user, setUser] = useState(defaultUser ?? session?.sub ?? 'demo');
  const [role, setRole] = useState<'viewer' | 'admin'>('viewer');
  const [token, setToken] = useState('');
  const [lookup, setLookup] = useState(defaultUser ?? '');
  const [dragging, setDragging] = useState(false);
  const decoded = token ? decodeToken(token) : null;
  const oidc = info && info !== 'loading' ? info.oidc : undefined;
  // Signed in with the provider as an admin: the token is here, the user to look up is not yet.
  const [provided, setProvided] = useState<Session | null>(null);
  const [redirecting, setRedirecting] = useState(false);

  // Back from the provider (once per page load): finish the sign-in with the address the page was
  // loaded at, read at the first render, before the viewer's own URL state rewrites it.
  const [landing] = useState(() => new URL(location.href));
  const finishing = useRef(false);
  useEffect(() => {
    if (!oidc || finishing.current || !isCallback(landing)) return;
    finishing.current = true;
    finishSignIn(oidc, landing).then(
      ({ session: s, user: wanted }) => {
        if (s.role === 'admin' && !wanted) return setProvided(s);
        onSignIn(s, s.role === 'admin' && wanted ? wanted : s.sub);
      },
      (err: Error) => onError(`Sign-in with ${oidc.issuer} failed: ${err.message}`),
    );
  }, [oidc, landing, onSignIn, onError]);

  const providerSignIn = () => {
    if (!oidc) return;
    onError(null);
    setRedirecting(true);
    beginSignIn(oidc, defaultUser).catch((err: Error) => {
      setRedirecting(false);
      onError(`${oidc.issuer} cannot be reached: ${err.message}`);
    });
  };

  const devSignIn = async () => {
    onError(null);
    try {
      const t = await devToken(user.trim(), role);
      onSignIn(decodeToken(t)!, user.trim());
    } catch (err) {
      onError((err as Error).message);
    }
  };

  return (
    <div
      className={`signin-page ${dragging ? 'dragging' : ''}`}
      onDragOver={(ev) => {
        ev.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(ev) => {
        ev.preventDefault();
        setDragging(false);
        const f = ev.dataTransfer.files[0];
        if (f) onImport(f);
      }}
    >
      <div className="signin">
        <h1>
          <Logo size={26} />
          handoff <span className="muted">trace viewer</span>
        </h1>
        <p className="muted">
          Watch every interaction of one user's devices, live: messages, state changes, timers and transfers.
        </p>
        <div className="hub-state" data-testid="hub-state">
          {info === 'loading'
            ? 'Looking for the hub…'
            : info === null
              ? 'No hub answers here. You can still open a trace file.'
              : info.devMode
                ? `Hub in dev mode (protocol ${info.protocolVersion}${info.nodeId ? `, node ${info.nodeId}` : ''}): any user, no secret.`
                : info.oidc
                  ? `Hub signing in with ${info.oidc.issuer} (protocol ${info.protocolVersion}).`
                  : `Hub with a secret (protocol ${info.protocolVersion}): sign in with a token.`}
        </div>

        {oidc && !provided && (
          <div className="signin-form">
            <button className="primary" type="button" onClick={providerSignIn} disabled={redirecting}>
              Sign in with {oidc.issuer}
            </button>
          </div>
        )}

        {provided && (
          <form
            className="signin-form"
            onSubmit={(ev) => {
              ev.preventDefault();
              onSignIn(provided, lookup.trim() || provided.sub);
            }}
          >
            <div className="muted small">
              Signed in as <b>{provided.sub}</b> (admin): whose interactions do you want to watch?
            </div>
            <label>
              User to look up
              <input
                autoFocus
                value={lookup}
                onChange={(ev) => setLookup(ev.target.value)}
                placeholder={provided.sub}
                aria-label="User to look up"
              />
            </label>
            <button className="primary" type="submit">
              Watch {lookup.trim() || provided.sub} live
            </button>
          </form>
        )}

        {info && info !== 'loading' && info.devMode && (
          <form
            className="signin-form"
            onSubmit={(ev) => {
              ev.preventDefault();
              void devSignIn();
            }}
          >
            <label>
              User id
              <input autoFocus value={user} onChange={(ev) => setUser(ev.target.value)} aria-label="User id" placeholder="demo" />
            </label>
            <div className="roles">
              <label>
                <input type="radio" checked={role === 'viewer'} onChange={() => setRole('viewer')} /> viewer{' '}
                <span className="muted">(this user only)</span>
              </label>
              <label>
                <input type="radio" checked={role === 'admin'} onChange={() => setRole('admin')} /> admin{' '}
                <span className="muted">(any user, audited)</span>
              </label>
            </div>
            <button className="primary" type="submit" disabled={!user.trim()}>
              Watch {user.trim() || '…'} live
            </button>
          </form>
        )}

        {info && info !== 'loading' && !info.devMode && !provided && (
          <form
            className="signin-form"
            onSubmit={(ev) => {
              ev.preventDefault();
              if (!decoded) return onError('That is not a token this viewer can read.');
              if (decoded.role !== 'viewer' && decoded.role !== 'admin')
                return onError(`A ${decoded.role} token cannot read traces: use a viewer or admin token.`);
              onSignIn(decoded, decoded.role === 'admin' && lookup.trim() ? lookup.trim() : decoded.sub);
            }}
          >
            <label>
              {oidc ? 'Or paste a hub token' : 'Token'}
              <textarea
                rows={3}
                value={token}
                onChange={(ev) => setToken(ev.target.value)}
                placeholder="eyJhbGciOi…  (npm run token -- --user U --role viewer)"
                aria-label="Token"
              />
            </label>
            {decoded && (
              <div className="muted small">
                {decoded.role} token of <b>{decoded.sub}</b>, expires {new Date(decoded.exp * 1000).toLocaleString()}
              </div>
            )}
            {decoded?.role === 'admin' && (
              <label>
                User to look up
                <input
                  value={lookup}
                  onChange={(ev) => setLookup(ev.target.value)}
                  placeholder={decoded.sub}
                  aria-label="User to look up"
                />
              </label>
            )}
            <button className="primary" type="submit" disabled={!token.trim()}>
              Sign in
            </button>
          </form>
        )}

        <div className="or">or</div>
        <label className="file-drop">
          <input
            type="file"
            accept=".ndjson,.jsonl,.json"
            data-testid="signin-import"
            onChange={(ev) => {
              const f = ev.target.files?.[0];
              if (f) onImport(f);
            }}
          />
          <b>Open a trace file</b>{' '}
          <span className="muted">(.ndjson exported from here or from the hub) — or drop it anywhere on this page</span>
        </label>
        {error && (
          <div className="error-box" role="alert">
            {error}
          </div>
        )}
      </div>
    </div>
  );
}

import { useEffect } from 'react';
import type { HubInfo } from '../model/types.ts';
import type { Session } from './auth.ts';
import { beginSignIn, RENEW_BEFORE_MS } from './oidc.ts';

/**
 * A token from the identity provider is renewed by signing in again shortly before it expires:
 * the provider's own session usually makes that a round of redirects with no form, and the
 * viewer comes back to the user it was showing.
 */
export function useRenewal(
  info: HubInfo | null | 'loading',
  session: Session | null,
  viewUser: string | null,
  onError: (message: string) => void,
): void {
  const oidc = info && info !== 'loading' ? info.oidc : undefined;
  useEffect(() => {
    if (!oidc || !session?.oidc) return;
    const inMs = Math.max(0, session.exp * 1000 - Date.now() - RENEW_BEFORE_MS);
    const timer = setTimeout(() => void beginSignIn(oidc, viewUser).catch((err: Error) => onError(err.message)), inMs);
    return () => clearTimeout(timer);
  }, [oidc, session, viewUser, onError]);
}

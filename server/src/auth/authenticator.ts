import { decodeProtectedHeader } from 'jose';
import type { HubTokens } from './hub-tokens.ts';
import type { OidcVerifier } from './oidc.ts';
import { refuse } from './refusal.ts';
import type { Principal } from './token.ts';

/** Turns a bearer token into who it acts as, or throws UNAUTHORIZED. */
export interface Authenticator {
  verify(token: string): Promise<Principal>;
}

/**
 * Both kinds of token at once: HS256 ones go to the hub's secret, RS256/ES256/EdDSA ones to the
 * identity provider's keys. The header only routes; each side checks the algorithm again, so an
 * HS256 token signed with the provider's public key meets the hub secret and fails, and
 * `alg: none` is refused by both.
 */
export class TokenAuthenticator implements Authenticator {
  constructor(
    private readonly hubTokens: HubTokens,
    private readonly oidc: OidcVerifier | null,
  ) {}

  verify(token: string): Promise<Principal> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return Promise.reject(refuse('malformed token'));
    }
    if (alg === 'HS256') return this.hubTokens.verify(token);
    if (this.oidc) return this.oidc.verify(token);
    return Promise.reject(refuse('unsupported token algorithm'));
  }
}

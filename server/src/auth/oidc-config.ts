import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Log } from '../log.ts';
import { DEFAULT_JWKS_SETTINGS } from './jwks-cache.ts';
import { OidcVerifier } from './oidc.ts';

/** The OIDC resource server the AUTH_* settings describe, or null without AUTH_ISSUER. */
export function oidcFromConfig(config: Config, deps: { clock: Clock; log: Log }): OidcVerifier | null {
  if (!config.AUTH_ISSUER || !config.AUTH_AUDIENCE) return null;
  return new OidcVerifier(
    {
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
      roleClaim: config.AUTH_ROLE_CLAIM,
      userClaim: config.AUTH_USER_CLAIM,
      defaultRole: config.AUTH_DEFAULT_ROLE,
      jwks: { ...DEFAULT_JWKS_SETTINGS, minRefetchMs: config.AUTH_JWKS_REFETCH_MS, maxAgeMs: config.AUTH_JWKS_MAX_AGE_MS },
    },
    { clock: deps.clock, log: deps.log.child({ part: 'oidc' }) },
  );
}

import { jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import { JwksCache, type JwksSettings } from './jwks-cache.ts';
import { refuse, refusalOf } from './refusal.ts';
import { Role, type Principal } from './token.ts';

/** The asymmetric algorithms a provider's tokens may use. Never HS256 (algorithm confusion) nor `none`. */
export const OIDC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;

/** Seconds of clock skew between the provider and the hub that `exp`, `nbf` and `iat` allow. */
export const CLOCK_TOLERANCE_S = 30;

export interface OidcSettings {
  issuer: string;
  audience: string;
  /** The claim holding `device`, `viewer` or `admin` (a dotted path reaches into objects: `realm_access.roles`). */
  roleClaim: string;
  /** The claim naming the user. */
  userClaim: string;
  /** The role of a token without the role claim; `none` refuses such tokens. */
  defaultRole: Role | 'none';
  jwks: JwksSettings;
}

const Discovery = z.object({ issuer: z.string(), jwks_uri: z.url() });
const UserId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@-]+$/);
/** When a role claim lists several, the strongest wins. */
const BY_STRENGTH: readonly Role[] = ['admin', 'viewer', 'device'];

/**
 * The hub as an OpenID Connect resource server: tokens from AUTH_ISSUER's keys (found through
 * discovery), for AUTH_AUDIENCE, checked by jose; the user and role read from their claims.
 */
export class OidcVerifier {
  #keys: JwksCache | null = null;

  constructor(
    readonly settings: OidcSettings,
    private readonly deps: { clock: Clock; log: Log; fetch?: typeof fetch },
  ) {}

  /** Discovery, then the keys. Throws a message naming AUTH_ISSUER when the provider cannot be reached. */
  async start(): Promise<void> {
    const { issuer } = this.settings;
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    try {
      const res = await (this.deps.fetch ?? fetch)(url, {
        signal: AbortSignal.timeout(this.settings.jwks.timeoutMs),
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
      const doc = Discovery.safeParse(await res.json());
      if (!doc.success) throw new Error(`${url} is not an OpenID Provider configuration (no jwks_uri)`);
      if (doc.data.issuer !== issuer) throw new Error(`the provider calls itself ${doc.data.issuer}, not ${issuer}`);
      const keys = new JwksCache(doc.data.jwks_uri, { ...this.deps, settings: this.settings.jwks });
      await keys.load();
      this.#keys = keys;
      this.deps.log.info({ issuer, jwksUri: keys.uri }, 'identity provider reached');
    } catch (err) {
      const why =
        err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
      throw new Error(`AUTH_ISSUER=${issuer}: identity provider unreachable or misconfigured (${why})`, { cause: err });
    }
  }

  /** The key cache (tests read how often it fetched). */
  get keys(): JwksCache | null {
    return this.#keys;
  }

  async verify(token: string): Promise<Principal> {
    const keys = this.#keys;
    if (!keys) throw refuse('identity provider not reached yet');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys.getKey, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: [...OIDC_ALGORITHMS],
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
        currentDate: new Date(this.deps.clock.now()),
      }));
    } catch (err) {
      throw refusalOf(err);
    }
    const user = UserId.safeParse(claimAt(payload, this.settings.userClaim));
    if (!user.success) throw refuse(`token claim ${this.settings.userClaim}: a user id of letters, digits and . _ @ - is needed`);
    return { userId: user.data, role: this.#roleOf(claimAt(payload, this.settings.roleClaim)) };
  }

  #roleOf(claim: unknown): Role {
    if (claim === undefined || claim === null) {
      if (this.settings.defaultRole === 'none') throw refuse(`token has no ${this.settings.roleClaim} claim`);
      return this.settings.defaultRole;
    }
    const named = (Array.isArray(claim) ? claim : [claim]).filter((v): v is string => typeof v === 'string');
    const role = BY_STRENGTH.find((r) => named.includes(r));
    if (!role) throw refuse(`token claim ${this.settings.roleClaim}: device, viewer or admin is needed`);
    return Role.parse(role);
  }
}

/** A claim by name, or by dotted path into nested objects. */
function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return payload[path];
  let at: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

import {
  createLocalJWKSet,
  errors,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  type CryptoKey,
} from 'jose';
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';

export interface JwksSettings {
  /** At most one fetch this often, however many unknown `kid`s arrive (forged ones included). */
  minRefetchMs: number;
  /** Keys older than this are fetched again in the background on the next verification. */
  maxAgeMs: number;
  /** One fetch gives up after this long. */
  timeoutMs: number;
}

export const DEFAULT_JWKS_SETTINGS: JwksSettings = { minRefetchMs: 30_000, maxAgeMs: 10 * 60_000, timeoutMs: 5000 };

type LocalSet = ReturnType<typeof createLocalJWKSet>;

/**
 * The provider's signing keys, fetched from its `jwks_uri` and kept. jose picks the key of a
 * token (by `kid`, `alg` and key type) from what is cached. A `kid` not in the cache makes one
 * fetch (the provider rotated), rate-limited by `minRefetchMs`; a failed fetch keeps the cached
 * keys and logs a warning, so a provider outage does not sign everybody out.
 */
export class JwksCache {
  #local: LocalSet | null = null;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<boolean> | null = null;
  /** How many fetches were made (the readiness of the cache, and the tests, read it). */
  fetches = 0;

  constructor(
    readonly uri: string,
    private readonly deps: { clock: Clock; log: Log; settings: JwksSettings; fetch?: typeof fetch },
  ) {}

  /** The first fetch; throws if the provider cannot be reached, so a misconfigured hub does not start. */
  async load(): Promise<void> {
    this.#fetchedAt = this.deps.clock.now();
    this.fetches++;
    this.#local = createLocalJWKSet(await this.#get());
  }

  /** The key for a token's header, for jose's `jwtVerify`. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    if (this.deps.clock.now() - this.#fetchedAt > this.deps.settings.maxAgeMs) void this.#refresh('keys are old');
    const local = this.#local;
    if (!local) throw new errors.JWKSNoMatchingKey();
    try {
      return await local(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      if (!(await this.#refresh(`unknown key id ${JSON.stringify(header.kid ?? null)}`))) throw err;
      return (this.#local ?? local)(header, token);
    }
  };

  /** Fetch again unless one is under way (then share it) or the last was too recent; true if new keys came. */
  #refresh(why: string): Promise<boolean> {
    if (this.#inflight) return this.#inflight;
    const now = this.deps.clock.now();
    if (now - this.#fetchedAt < this.deps.settings.minRefetchMs) return Promise.resolve(false);
    this.#fetchedAt = now;
    this.fetches++;
    this.#inflight = this.#get()
      .then((jwks) => {
        this.#local = createLocalJWKSet(jwks);
        this.deps.log.info({ jwksUri: this.uri, keys: jwks.keys.length, why }, 'identity provider keys fetched');
        return true;
      })
      .catch((err: unknown) => {
        this.deps.log.warn({ err, jwksUri: this.uri, why }, 'identity provider unreachable: keeping the cached keys');
        return false;
      })
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  }

  async #get(): Promise<JSONWebKeySet> {
    const res = await (this.deps.fetch ?? fetch)(this.uri, {
      signal: AbortSignal.timeout(this.deps.settings.timeoutMs),
      headers: { accept: 'application/json' },
    });
    if (!res.ok) throw new Error(`${this.uri} answered ${res.status}`);
    const body = (await res.json()) as unknown;
    if (!isKeySet(body)) throw new Error(`${this.uri} did not answer a JSON Web Key Set`);
    return body;
  }
}

const isKeySet = (v: unknown): v is JSONWebKeySet =>
  typeof v === 'object' && v !== null && Array.isArray((v as { keys?: unknown }).keys);

import { jwtVerify } from 'jose';
import { z } from 'zod';
import { refuse, refusalOf } from './refusal.ts';
import { Role, type Principal } from './token.ts';

const Claims = z.object({ sub: z.string().min(1).max(128), role: Role, exp: z.number() });

/** Tokens verified and not yet expired, kept so a user's other devices and reconnects skip the HMAC. */
const VERIFIED_MAX = 10_000;

/**
 * The hub's own HS256 tokens, made from HUB_SECRET (devices, development, `npm run token`),
 * checked by jose. No clock tolerance: the hub signs them with its own clock.
 *
 * jose checks HMACs through WebCrypto, which costs a few times what a synchronous HMAC did; since
 * a user's devices share one token and reconnect with it, a verified token is remembered (by its
 * exact text, so a changed byte is a different token) until it expires, up to VERIFIED_MAX of
 * them, the oldest forgotten first. A token being checked is checked once: the devices of a
 * household connecting at the same moment (a connect storm, a hub restart) wait for that check
 * instead of each starting its own.
 */
export class HubTokens {
  readonly #key: Promise<CryptoKey>;
  readonly #now: () => number;
  readonly #verified = new Map<string, { principal: Principal; expMs: number }>();
  readonly #checking = new Map<string, Promise<Principal>>();

  constructor(secret: string, now: () => number) {
    this.#key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ]);
    this.#now = now;
  }

  verify(token: string): Promise<Principal> {
    const now = this.#now();
    const known = this.#verified.get(token);
    if (known && known.expMs > now) return Promise.resolve(known.principal);
    if (known) this.#verified.delete(token);
    let checking = this.#checking.get(token);
    if (!checking) {
      checking = this.#check(token, now).finally(() => this.#checking.delete(token));
      this.#checking.set(token, checking);
    }
    return checking;
  }

  async #check(token: string, now: number): Promise<Principal> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, await this.#key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
        currentDate: new Date(now),
      }));
    } catch (err) {
      throw refusalOf(err);
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw refuse('malformed token claims');
    const principal: Principal = { userId: claims.data.sub, role: claims.data.role };
    if (this.#verified.size >= VERIFIED_MAX) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(token, { principal, expMs: claims.data.exp * 1000 });
    return principal;
  }
}

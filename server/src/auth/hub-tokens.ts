import { createSecretKey, type KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import { z } from 'zod';
import { refuse, refusalOf } from './refusal.ts';
import { Role, type Principal } from './token.ts';

const Claims = z.object({ sub: z.string().min(1).max(128), role: Role });

/**
 * The hub's own HS256 tokens, made from HUB_SECRET (devices, development, `npm run token`),
 * checked by jose. No clock tolerance: the hub signs them with its own clock.
 */
export class HubTokens {
  readonly #key: KeyObject;
  readonly #now: () => number;

  constructor(secret: string, now: () => number) {
    this.#key = createSecretKey(Buffer.from(secret));
    this.#now = now;
  }

  async verify(token: string): Promise<Principal> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.#key, { algorithms: ['HS256'], requiredClaims: ['exp'], currentDate: new Date(this.#now()) }));
    } catch (err) {
      throw refusalOf(err);
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw refuse('malformed token claims');
    return { userId: claims.data.sub, role: claims.data.role };
  }
}

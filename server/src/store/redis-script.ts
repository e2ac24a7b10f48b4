import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connect.ts';

/**
 * How many replicas must hold a write before it counts (`WAIT`), and how long to wait for them.
 * 0 replicas: the master's answer is enough.
 */
export interface Replication {
  replicas: number;
  timeoutMs: number;
}

/** A write the master holds but too few replicas acknowledged in time: it may survive, or be lost with the master. */
export class ReplicationError extends Error {
  constructor(
    readonly wanted: number,
    readonly acked: number,
    readonly timeoutMs: number,
  ) {
    super(`only ${acked} of ${wanted} replicas acknowledged the write within ${timeoutMs} ms (REDIS_MIN_REPLICAS)`);
    this.name = 'ReplicationError';
  }
}

/**
 * A Lua script run by its SHA1, loaded on the first NOSCRIPT (after a Redis restart too). Every
 * script's keys share one hash tag, so on a cluster it runs on one slot's master. With
 * `replication`, a `WAIT` follows in the same pipeline (so on the same master's connection), and
 * the call resolves only once enough replicas hold the write.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: RedisClient, keys: string[], args: Array<string | number>, replication?: Replication): Promise<unknown> {
    if (!replication || replication.replicas <= 0) {
      try {
        return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!isNoScript(err)) throw err;
        return redis.eval(this.lua, keys.length, ...keys, ...args);
      }
    }
    const { replicas, timeoutMs } = replication;
    const attempt = async (byHash: boolean) => {
      const pipe = redis.pipeline();
      if (byHash) pipe.evalsha(this.sha, keys.length, ...keys, ...args);
      else pipe.eval(this.lua, keys.length, ...keys, ...args);
      pipe.wait(replicas, timeoutMs);
      const [ran, waited] = (await pipe.exec()) ?? [];
      return { ran: ran ?? [new Error('no reply'), null], waited: waited ?? [new Error('no reply'), null] };
    };
    let { ran, waited } = await attempt(true);
    if (ran[0] && isNoScript(ran[0])) ({ ran, waited } = await attempt(false));
    if (ran[0]) throw ran[0];
    if (waited[0]) throw waited[0];
    const acked = Number(waited[1]);
    if (acked < replicas) throw new ReplicationError(replicas, acked, timeoutMs);
    return ran[1];
  }
}

const isNoScript = (err: unknown) => String((err as Error)?.message).startsWith('NOSCRIPT');

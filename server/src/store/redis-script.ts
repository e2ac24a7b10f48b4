import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connect.ts';

/** How long a write waiting for replicas keeps retrying through a failover (slots moving, cluster down). */
const FAILOVER_RETRY_MS = 10_000;
/** Errors that mean "not on this node, or not now": the script did not run, or running it again is harmless. */
const RETRYABLE = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN|LOADING|READONLY)|Connection is closed/;

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
    // A pipeline is not redirected by the client when only part of it fails (WAIT answers on the
    // wrong node too), so slot moves and a cluster down during a failover are retried here.
    const giveUpAt = Date.now() + FAILOVER_RETRY_MS;
    let { ran, waited } = await attempt(true);
    for (;;) {
      if (ran[0] && isNoScript(ran[0])) ({ ran, waited } = await attempt(false));
      if (!ran[0] || !RETRYABLE.test(String((ran[0]).message)) || Date.now() > giveUpAt) break;
      if (redis instanceof Cluster) redis.refreshSlotsCache();
      await new Promise((r) => setTimeout(r, 200));
      ({ ran, waited } = await attempt(true));
    }
    if (ran[0]) throw ran[0];
    if (waited[0]) throw waited[0];
    const acked = Number(waited[1]);
    if (acked < replicas) throw new ReplicationError(replicas, acked, timeoutMs);
    return ran[1];
  }
}

const isNoScript = (err: unknown) => String((err as Error)?.message).startsWith('NOSCRIPT');

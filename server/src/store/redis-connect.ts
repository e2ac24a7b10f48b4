import { Cluster, Redis } from 'ioredis';
import type { Log } from '../log.ts';
import { withTimeout } from '../with-timeout.ts';

/** One Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES): the same commands on either. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server's URL, or a cluster's seed nodes. */
export type RedisTarget = { url: string; clusterNodes?: undefined } | { url?: undefined; clusterNodes: ReadonlyArray<{ host: string; port: number }> };

/** The target as an operator wrote it, password hidden: for errors and logs. */
export function describeTarget(target: RedisTarget): string {
  if (target.url !== undefined) return `${target.url.replace(/\/\/[^@/]*@/, '//***@')} (REDIS_URL)`;
  return `${target.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_CLUSTER_NODES)`;
}

const retry = (times: number) => Math.min(50 * 2 ** times, 1000);

/**
 * A Redis connection as the hub uses it: commands wait through a reconnect instead of failing
 * (a write held back is better than a lost one), retries back off to 1 s, commands issued in the
 * same tick go out as one pipeline, and connection trouble is logged once per outage. On a
 * cluster, a command to a failed master is retried (every 200 ms, up to 32 times) until its
 * replica has taken over; `subscriber` connects one sharded subscriber to each master.
 */
export function connectRedis(target: RedisTarget, log: Log, name: string, opts: { subscriber?: boolean } = {}): RedisClient {
  const redis: RedisClient =
    target.url !== undefined
      ? new Redis(target.url, { connectionName: name, maxRetriesPerRequest: null, enableAutoPipelining: true, retryStrategy: retry })
      : new Cluster([...target.clusterNodes], {
          redisOptions: { connectionName: name, maxRetriesPerRequest: null },
          enableAutoPipelining: true,
          shardedSubscribers: opts.subscriber ?? false,
          retryDelayOnFailover: 200,
          retryDelayOnClusterDown: 200,
          retryDelayOnTryAgain: 200,
          maxRedirections: 32,
          clusterRetryStrategy: retry,
        });
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: err.message, connection: name }, 'redis unreachable; retrying (commands wait)');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ connection: name }, 'redis reachable again');
  });
  return redis;
}

/** Resolves once Redis answers; throws a one-line error naming where it looked (password hidden) after `timeoutMs`. */
export async function reachRedis(redis: RedisClient, target: RedisTarget, timeoutMs = 5000): Promise<void> {
  try {
    await withTimeout(redis.ping(), timeoutMs, () => new Error(`cannot reach Redis at ${describeTarget(target)} within ${timeoutMs} ms`));
  } catch (err) {
    redis.disconnect();
    throw err;
  }
}

/** Close a connection: QUIT waits for what is queued; an unreachable Redis gets `graceMs`, then the connection is dropped. */
export async function closeRedis(redis: RedisClient, graceMs = 1000): Promise<void> {
  if (redis.status === 'end') return;
  await withTimeout(redis.quit(), graceMs).catch(() => {});
  redis.disconnect();
}

/** Another connection like `redis` (same server or cluster, same options). */
export function duplicateRedis(redis: RedisClient): RedisClient {
  return redis instanceof Cluster ? redis.duplicate() : redis.duplicate();
}

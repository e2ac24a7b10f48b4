import { Redis } from 'ioredis';
import type { Log } from '../log.ts';

/**
 * A Redis connection as the hub uses it: commands wait through a reconnect instead of failing
 * (a write held back is better than a lost one), retries back off to 1 s, commands issued in the
 * same tick go out as one pipeline, and connection trouble is logged once per outage.
 */
export function connectRedis(url: string, log: Log, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
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

/** Resolves once Redis answers; throws a one-line error naming the URL (password hidden) after `timeoutMs`. */
export async function reachRedis(redis: Redis, url: string, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const shown = url.replace(/\/\/[^@/]*@/, '//***@');
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`cannot reach Redis at ${shown} (REDIS_URL) within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } catch (err) {
    redis.disconnect();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

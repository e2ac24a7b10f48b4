import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connect.ts';

const SLOTS = 16_384;

/** `field:value` lines of an INFO-style reply, as a map. */
const fields = (text: string) => new Map(text.split(/\r?\n/).flatMap((line) => (line.includes(':') ? [[line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as const] : [])));

/**
 * Resolves when every hash slot is served: on a cluster, the client knows a master for each of
 * the 16,384 slots and every master answers and says `cluster_state:ok`; on one Redis, it
 * answers. Rejects naming what is missing. Callers bound it with a deadline (an unreachable
 * master's commands wait).
 */
export async function slotsServed(redis: RedisClient): Promise<void> {
  if (!(redis instanceof Cluster)) {
    await redis.ping();
    return;
  }
  let known = 0;
  for (let slot = 0; slot < SLOTS; slot++) if (redis.slots[slot]?.[0]) known++;
  if (known < SLOTS) throw new Error(`${SLOTS - known} of ${SLOTS} slots have no known master`);
  const masters = redis.nodes('master');
  if (masters.length === 0) throw new Error('no master is known');
  await Promise.all(
    masters.map(async (node) => {
      const info = fields(String(await node.call('CLUSTER', 'INFO')));
      if (info.get('cluster_state') !== 'ok') throw new Error(`master ${node.options.host}:${node.options.port} says cluster_state:${info.get('cluster_state')}`);
    }),
  );
}

/**
 * How many replicas a change should wait for when REDIS_MIN_REPLICAS is unset: 1 when every
 * master has at least one replica connected, else 0.
 */
export async function defaultMinReplicas(redis: RedisClient): Promise<number> {
  const masters = redis instanceof Cluster ? redis.nodes('master') : [redis];
  if (masters.length === 0) return 0;
  const counts = await Promise.all(masters.map(async (node) => Number(fields(await node.info('replication')).get('connected_slaves') ?? 0)));
  return Math.min(1, ...counts);
}

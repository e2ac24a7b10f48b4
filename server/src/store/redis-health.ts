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
  // The master of every slot, as this client routes commands.
  const masters = new Map<string, number>();
  for (let slot = 0; slot < SLOTS; slot++) {
    const key = redis.slots[slot]?.[0];
    if (!key) throw new Error(`slot ${slot} has no known master`);
    masters.set(key, (masters.get(key) ?? 0) + 1);
  }
  const connected = new Map(redis.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]));
  await Promise.all(
    [...masters].map(async ([key, slots]) => {
      const node = connected.get(key);
      if (!node || node.status !== 'ready') throw new Error(`the master of ${slots} slots (${key}) is not connected`);
      const info = fields(String(await node.call('CLUSTER', 'INFO')));
      if (info.get('cluster_state') !== 'ok') throw new Error(`master ${key} says cluster_state:${info.get('cluster_state')}`);
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

import type { Redis } from 'ioredis';
import type { Bus } from '../../server/src/bus/bus.ts';
import { MemoryBroker, MemoryBus } from '../../server/src/bus/memory-bus.ts';
import { RedisBus } from '../../server/src/bus/redis-bus.ts';
import { MemoryOwnership } from '../../server/src/cluster/memory-ownership.ts';
import type { Ownership } from '../../server/src/cluster/ownership.ts';
import { RedisOwnership } from '../../server/src/cluster/redis-ownership.ts';
import { silentLog } from '../../server/src/log.ts';
import { MemoryStore } from '../../server/src/store/memory-store.ts';
import { connectRedis, type RedisClient } from '../../server/src/store/redis-connect.ts';
import { RedisStore } from '../../server/src/store/redis-store.ts';
import type { Store } from '../../server/src/store/store.ts';
import type { TestRedis } from '../helpers/redis.ts';
import type { TestRedisCluster } from '../helpers/redis-cluster.ts';

/** Several nodes' views of one backend: each call of `bus()` or `node()` is another node. */
export interface Backend {
  name: string;
  bus(): Bus;
  /** A store and the ownership record over the same data (what one node gets). Each backend has its own ownership record. */
  node(): { store: Store; ownership: Ownership };
  close(): Promise<void>;
}

export function memoryBackend(): Backend {
  const broker = new MemoryBroker();
  const ownership = new MemoryOwnership();
  const store = new MemoryStore();
  return {
    name: 'memory',
    bus: () => new MemoryBus(broker),
    node: () => ({ store, ownership }),
    close: () => Promise.resolve(),
  };
}

export function redisBackend(redis: TestRedis): Backend {
  const namespace = freshUser('contract');
  const opened: Array<Redis | Bus> = [];
  const client = () => {
    const c = redis.client();
    opened.push(c);
    return c;
  };
  return {
    name: 'redis',
    bus: () => {
      const bus = new RedisBus({ publisher: client(), subscriber: client(), log: silentLog, probeMs: 100, probeTimeoutMs: 600 });
      opened.push(bus);
      return bus;
    },
    node: () => {
      const c = client();
      return { store: new RedisStore(c), ownership: new RedisOwnership(c, undefined, namespace) };
    },
    close: async () => {
      for (const o of opened.splice(0)) await ('disconnect' in o ? Promise.resolve(o.disconnect()) : o.close());
    },
  };
}

/**
 * A real Redis Cluster (3 masters, 3 replicas): every node's connections are cluster clients,
 * the bus subscribes with sharded subscribers, and every write waits for one replica (WAIT), as
 * a hub with REDIS_CLUSTER_NODES does.
 */
export function clusterBackend(cluster: TestRedisCluster): Backend {
  const namespace = freshUser('contract');
  const opened: Array<RedisClient | Bus> = [];
  const target = { clusterNodes: cluster.ports.map((port) => ({ host: '127.0.0.1', port })) };
  const client = (subscriber = false) => {
    const c = connectRedis(target, silentLog, 'contract', { subscriber });
    opened.push(c);
    return c;
  };
  const replication = { replicas: 1, timeoutMs: 2000 };
  return {
    name: 'redis cluster',
    bus: () => {
      const bus = new RedisBus({ publisher: client(), subscriber: client(true), log: silentLog, probeMs: 100, probeTimeoutMs: 600 });
      opened.push(bus);
      return bus;
    },
    node: () => {
      const c = client();
      return { store: new RedisStore(c, { ttlMs: 86_400_000, replication }), ownership: new RedisOwnership(c, replication, namespace) };
    },
    close: async () => {
      for (const o of opened.splice(0)) await ('disconnect' in o ? Promise.resolve(o.disconnect()) : o.close());
    },
  };
}

let users = 0;
/** A user id no other test used. */
export const freshUser = (prefix = 'u') => `${prefix}-${process.pid}-${++users}`;

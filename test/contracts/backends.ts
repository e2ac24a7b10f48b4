import type { Redis } from 'ioredis';
import type { Bus } from '../../server/src/bus/bus.ts';
import { MemoryBroker, MemoryBus } from '../../server/src/bus/memory-bus.ts';
import { RedisBus } from '../../server/src/bus/redis-bus.ts';
import type { Leases } from '../../server/src/cluster/leases.ts';
import { MemoryLeases } from '../../server/src/cluster/memory-leases.ts';
import { RedisLeases } from '../../server/src/cluster/redis-leases.ts';
import { silentLog } from '../../server/src/log.ts';
import { MemoryStore } from '../../server/src/store/memory-store.ts';
import { RedisStore } from '../../server/src/store/redis-store.ts';
import type { Store } from '../../server/src/store/store.ts';
import type { TestRedis } from '../helpers/redis.ts';

/** Several nodes' views of one backend: each call of `bus()` or `node()` is another node. */
export interface Backend {
  name: string;
  bus(): Bus;
  /** A store and leases over the same data (what one node gets). */
  node(): { store: Store; leases: Leases };
  close(): Promise<void>;
}

export function memoryBackend(): Backend {
  const broker = new MemoryBroker();
  const leases = new MemoryLeases();
  const store = new MemoryStore(leases.fenceOf);
  return {
    name: 'memory',
    bus: () => new MemoryBus(broker),
    node: () => ({ store, leases }),
    close: () => Promise.resolve(),
  };
}

export function redisBackend(redis: TestRedis): Backend {
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
      return { store: new RedisStore(c), leases: new RedisLeases(c) };
    },
    close: async () => {
      for (const o of opened.splice(0)) await ('disconnect' in o ? Promise.resolve(o.disconnect()) : o.close());
    },
  };
}

let users = 0;
/** A user id no other test used. */
export const freshUser = (prefix = 'u') => `${prefix}-${process.pid}-${++users}`;

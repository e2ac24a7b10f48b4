import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { Bus } from '../../server/src/bus/bus.ts';
import { RedisBus } from '../../server/src/bus/redis-bus.ts';
import { silentLog } from '../../server/src/log.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { sharedRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { clusterBackend, memoryBackend, redisBackend, type Backend } from './backends.ts';

let redis: TestRedis;
let cluster: TestRedisCluster;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis({ aof: false }), sharedRedisCluster(inject('redisClusterDir'))]);
}, 60_000);
afterAll(async () => {
  await redis?.stop();
});

const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const backends: Array<[string, () => Backend]> = [
  ['memory', memoryBackend],
  ['redis', () => redisBackend(redis)],
  ['redis cluster', () => clusterBackend(cluster)],
];

describe.each(backends)('Bus contract: %s', (_name, make) => {
  const withBackend = (fn: (b: Backend) => Promise<void>) => async () => {
    const backend = make();
    try {
      await fn(backend);
    } finally {
      await backend.close();
    }
  };

  test('a message reaches every node subscribed to its channel, once each', withBackend(async (b) => {
    const [a, c, sender] = [b.bus(), b.bus(), b.bus()];
    const got: string[] = [];
    await a.subscribe('ch:1', (m) => got.push(`a:${m}`));
    await c.subscribe('ch:1', (m) => got.push(`c:${m}`));
    await sender.publish('ch:1', 'hello');
    await until(() => got.length === 2);
    await sender.publish('ch:1', 'marker');
    await until(() => got.length === 4);
    expect(got.sort()).toEqual(['a:hello', 'a:marker', 'c:hello', 'c:marker']);
  }));

  test('publishing to a channel nobody subscribes to succeeds and is simply not delivered', withBackend(async (b) => {
    const [sub, pub] = [b.bus(), b.bus()];
    const got: string[] = [];
    await sub.subscribe('ch:somebody', (m) => got.push(m));
    await pub.publish('ch:nobody', 'lost');
    await pub.publish('ch:somebody', 'kept');
    await until(() => got.length === 1);
    expect(got).toEqual(['kept']);
  }));

  test('channels of many hash slots (node inboxes on every master of a cluster) each deliver', withBackend(async (b) => {
    const [sub, pub] = [b.bus(), b.bus()];
    const got = new Set<string>();
    const channels = Array.from({ length: 12 }, (_, i) => `node:{n${i}}`);
    for (const ch of channels) await sub.subscribe(ch, (m) => got.add(`${ch}=${m}`));
    await Promise.all(channels.map((ch) => pub.publish(ch, 'x')));
    await until(() => got.size === channels.length);
  }));

  test('messages from one publisher arrive in the order they were published', withBackend(async (b) => {
    const [sub, pub] = [b.bus(), b.bus()];
    const got: number[] = [];
    await sub.subscribe('ch:order', (m) => got.push(Number(m)));
    await Promise.all(Array.from({ length: 300 }, (_, i) => pub.publish('ch:order', String(i))));
    await until(() => got.length === 300);
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
  }));

  test('several handlers on one node each get every message once', withBackend(async (b) => {
    const [sub, pub] = [b.bus(), b.bus()];
    let first = 0;
    let second = 0;
    await sub.subscribe('ch:two', () => first++);
    await sub.subscribe('ch:two', () => second++);
    await pub.publish('ch:two', 'x');
    await until(() => first === 1 && second === 1);
    await pub.publish('ch:two', 'y');
    await until(() => first === 2 && second === 2);
  }));

  test('channels are separate, and a node that unsubscribed gets nothing more', withBackend(async (b) => {
    const [sub, pub] = [b.bus(), b.bus()];
    const got: string[] = [];
    const off = await sub.subscribe('ch:x', (m) => got.push(`x:${m}`));
    await sub.subscribe('ch:y', (m) => got.push(`y:${m}`));
    await pub.publish('ch:x', '1');
    await pub.publish('ch:y', '2');
    await until(() => got.length === 2);
    await off();
    await pub.publish('ch:x', '3');
    await pub.publish('ch:y', '4');
    await until(() => got.length === 3);
    expect(got).toEqual(['x:1', 'y:2', 'y:4']);
  }));

  test('a handler that throws does not keep the message from the others', withBackend(async (b) => {
    const [sub, pub] = [b.bus(), b.bus()];
    let ok = 0;
    await sub.subscribe('ch:throw', () => {
      throw new Error('boom');
    });
    await sub.subscribe('ch:throw', () => ok++);
    await pub.publish('ch:throw', 'x');
    await until(() => ok === 1);
  }));

  test('a closed node gets nothing more, and the others still do', withBackend(async (b) => {
    const sub: Bus = b.bus();
    const other: Bus = b.bus();
    const pub: Bus = b.bus();
    const got: string[] = [];
    const seen: string[] = [];
    await sub.subscribe('ch:closed', (m) => got.push(m));
    await other.subscribe('ch:closed', (m) => seen.push(m));
    await pub.publish('ch:closed', 'before');
    await until(() => got.length === 1 && seen.length === 1);
    await sub.close();
    await pub.publish('ch:closed', 'after');
    await until(() => seen.length === 2);
    expect(got).toEqual(['before']);
  }));
});

describe('RedisBus on a subscription that goes silent', () => {
  test('a subscriber connection that stops delivering (connected, but silent) is detected by its probes and resubscribed', async () => {
    // The subscriber reaches Redis through a proxy that can go silent: the connection stays
    // open but nothing Redis sends reaches the client, as after a failover to a node that knows
    // nothing of the subscription.
    await using proxy = await startTcpProxy(redis.port);
    const sub = new RedisBus({ publisher: redis.client(), subscriber: redis.client(proxy.port), log: silentLog, probeMs: 100, probeTimeoutMs: 500 });
    const pub = new RedisBus({ publisher: redis.client(), subscriber: redis.client(), log: silentLog });
    try {
      const got: string[] = [];
      await sub.subscribe('ch:silent', (m) => got.push(m));
      await pub.publish('ch:silent', 'before');
      await until(() => got.includes('before'));

      proxy.silenceExisting();
      await pub.publish('ch:silent', 'lost while silent');
      await until(() => sub.resubscribes > 0, 5000);
      // Deliveries resume on the new connection, without anyone restarting anything.
      await until(() => {
        void pub.publish('ch:silent', 'after');
        return got.includes('after');
      }, 5000);
      expect(got).not.toContain('lost while silent');
    } finally {
      await sub.close();
      await pub.close();
    }
  });
});

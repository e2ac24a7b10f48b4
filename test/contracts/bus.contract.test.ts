import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Bus } from '../../server/src/bus/bus.ts';
import { RedisBus } from '../../server/src/bus/redis-bus.ts';
import { silentLog } from '../../server/src/log.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { memoryBackend, redisBackend, type Backend } from './backends.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis({ aof: false });
});
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

  test('a message reaches every node subscribed to its channel, and publish counts those nodes', withBackend(async (b) => {
    const [a, c, sender] = [b.bus(), b.bus(), b.bus()];
    const got: string[] = [];
    await a.subscribe('ch:1', (m) => got.push(`a:${m}`));
    await c.subscribe('ch:1', (m) => got.push(`c:${m}`));
    expect(await sender.publish('ch:1', 'hello')).toBe(2);
    await until(() => got.length === 2);
    expect(got.sort()).toEqual(['a:hello', 'c:hello']);
  }));

  test('a channel nobody subscribes to counts zero receivers', withBackend(async (b) => {
    expect(await b.bus().publish('ch:nobody', 'x')).toBe(0);
  }));

  test('messages from one publisher arrive in the order they were published', withBackend(async (b) => {
    const [sub, pub] = [b.bus(), b.bus()];
    const got: number[] = [];
    await sub.subscribe('ch:order', (m) => got.push(Number(m)));
    await Promise.all(Array.from({ length: 300 }, (_, i) => pub.publish('ch:order', String(i))));
    await until(() => got.length === 300);
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
  }));

  test('several handlers on one node each get the message, and the node counts once', withBackend(async (b) => {
    const [sub, pub] = [b.bus(), b.bus()];
    let first = 0;
    let second = 0;
    await sub.subscribe('ch:two', () => first++);
    await sub.subscribe('ch:two', () => second++);
    expect(await pub.publish('ch:two', 'x')).toBe(1);
    await until(() => first === 1 && second === 1);
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
    expect(await pub.publish('ch:x', '3')).toBe(0);
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

  test('a closed node is no longer counted', withBackend(async (b) => {
    const sub: Bus = b.bus();
    const pub: Bus = b.bus();
    await sub.subscribe('ch:closed', () => {});
    expect(await pub.publish('ch:closed', 'x')).toBe(1);
    await sub.close();
    let count = 1;
    for (let i = 0; i < 50 && count !== 0; i++) {
      count = await pub.publish('ch:closed', 'x');
      if (count) await new Promise((r) => setTimeout(r, 20));
    }
    expect(count).toBe(0);
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

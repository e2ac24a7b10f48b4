import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { sharedRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.ts';
import { clusterBackend, freshUser, memoryBackend, redisBackend, type Backend } from './backends.ts';

let redis: TestRedis;
let cluster: TestRedisCluster;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis({ aof: false }), sharedRedisCluster(inject('redisClusterDir'))]);
}, 60_000);
afterAll(async () => {
  await redis?.stop();
});

const backends: Array<[string, () => Backend]> = [
  ['memory', memoryBackend],
  ['redis', () => redisBackend(redis)],
  ['redis cluster', () => clusterBackend(cluster)],
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(backends)('Leases contract: %s', (_name, make) => {
  let backend: Backend;
  beforeAll(() => {
    backend = make();
  });
  afterAll(async () => {
    await backend.close();
  });

  test('a free lease is taken; while held, another node is told who holds it', async () => {
    const { leases } = backend.node();
    const user = freshUser();
    const a = await leases.acquire(user, 'node-a', 5000);
    expect(a.lease).toMatchObject({ userId: user, holder: 'node-a' });
    expect(await backend.node().leases.acquire(user, 'node-b', 5000)).toEqual({ holder: 'node-a' });
    expect(await leases.holder(user)).toBe('node-a');
  });

  test('of many nodes claiming one user at once, exactly one gets the lease', async () => {
    const user = freshUser();
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => backend.node().leases.acquire(user, `node-${i}`, 5000)));
    const winners = claims.filter((c) => c.lease);
    expect(winners).toHaveLength(1);
    const holder = winners[0]!.lease!.holder;
    for (const c of claims) if (!c.lease) expect(c.holder).toBe(holder);
  });

  test('a lease its holder stops renewing lapses after its TTL, and the next holder gets a larger fencing token', async () => {
    const { leases } = backend.node();
    const user = freshUser();
    const first = (await leases.acquire(user, 'node-a', 60)).lease!;
    expect((await leases.acquire(user, 'node-b', 5000)).lease).toBeUndefined();
    await sleep(100);
    const second = (await leases.acquire(user, 'node-b', 5000)).lease!;
    expect(second.holder).toBe('node-b');
    expect(second.token).toBeGreaterThan(first.token);
  });

  test('only the holder renews; a holder whose lease was taken since cannot renew it back', async () => {
    const { leases } = backend.node();
    const user = freshUser();
    const a = (await leases.acquire(user, 'node-a', 60)).lease!;
    expect(await leases.renew(a, 60)).toBe(true);
    await sleep(100);
    const b = (await leases.acquire(user, 'node-b', 5000)).lease!;
    expect(await leases.renew(a, 5000)).toBe(false);
    expect(await leases.holder(user)).toBe('node-b');
    expect(await leases.renew(b, 5000)).toBe(true);
  });

  test('a lease that lapsed but that nobody took since is taken back by renewing it (same token)', async () => {
    const { leases } = backend.node();
    const user = freshUser();
    const a = (await leases.acquire(user, 'node-a', 40)).lease!;
    await sleep(80);
    expect(await leases.holder(user)).toBeNull();
    expect(await leases.renew(a, 5000)).toBe(true);
    expect(await leases.holder(user)).toBe('node-a');
  });

  test('release frees the lease at once, but only when done by its holder', async () => {
    const { leases } = backend.node();
    const user = freshUser();
    const a = (await leases.acquire(user, 'node-a', 5000)).lease!;
    await leases.release({ ...a, holder: 'node-b' });
    await leases.release({ ...a, token: a.token + 1 });
    expect(await leases.holder(user)).toBe('node-a');
    await leases.release(a);
    expect(await leases.holder(user)).toBeNull();
    expect((await leases.acquire(user, 'node-b', 5000)).lease?.token).toBeGreaterThan(a.token);
  });

  test('a holder acquiring again under its own name (a restarted node) gets a new token, fencing out its old self', async () => {
    const { leases } = backend.node();
    const user = freshUser();
    const old = (await leases.acquire(user, 'node-a', 5000)).lease!;
    const again = (await leases.acquire(user, 'node-a', 5000)).lease!;
    expect(again.token).toBeGreaterThan(old.token);
    expect(await leases.renew(old, 5000)).toBe(false);
  });
});

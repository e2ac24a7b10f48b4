import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { TickRequest } from '../../server/src/cluster/ownership.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { sharedRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.ts';
import { clusterBackend, memoryBackend, redisBackend, type Backend } from './backends.ts';

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

let partitions = 0;
/** A partition no other test used. */
const freshPartition = () => ++partitions;
let nodes = 0;
const freshNode = (name: string) => `${name}-${++nodes}`;

describe.each(backends)('Ownership contract: %s', (_name, make) => {
  let backend: Backend;
  beforeAll(() => {
    backend = make();
  });
  afterAll(async () => {
    await backend.close();
  });
  const tick = (node: string, ttlMs: number, req: Partial<Omit<TickRequest, 'node' | 'ttlMs'>> = {}) =>
    backend.node().ownership.tick({ node, ttlMs, renew: [], release: [], acquire: [], partitions: 1024, ...req });

  test('a free partition is taken with a fencing token; while held, another node does not get it, and holder says who holds it', async () => {
    const [a, b, p] = [freshNode('a'), freshNode('b'), freshPartition()];
    const first = await tick(a, 5000, { acquire: [p] });
    expect(first.acquired).toEqual([{ partition: p, token: expect.any(Number) as number }]);
    expect((await tick(b, 5000, { acquire: [p] })).acquired).toEqual([]);
    expect(await backend.node().ownership.holder(p)).toBe(a);
  });

  test('of many nodes acquiring one partition at once, exactly one gets it', async () => {
    const p = freshPartition();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => tick(freshNode(`n${i}`), 5000, { acquire: [p] })));
    expect(results.filter((r) => r.acquired.length === 1)).toHaveLength(1);
  });

  test('a lease its holder stops renewing lapses after its TTL, and the next holder gets a larger fencing token', async () => {
    const [a, b, p] = [freshNode('a'), freshNode('b'), freshPartition()];
    const first = (await tick(a, 400, { acquire: [p] })).acquired[0]!;
    expect((await tick(b, 5000, { acquire: [p] })).acquired).toEqual([]);
    await sleep(500);
    expect(await backend.node().ownership.holder(p)).toBeNull();
    const second = (await tick(b, 5000, { acquire: [p] })).acquired[0]!;
    expect(second.token).toBeGreaterThan(first.token);
    expect(await backend.node().ownership.holder(p)).toBe(b);
  });

  test('a partition taken after its holder let the lease lapse is reported taken over; a free one (never held, or released) is not', async () => {
    const [a, b, p, q] = [freshNode('a'), freshNode('b'), freshPartition(), freshPartition()];
    const free = await tick(a, 300, { acquire: [p, q] });
    expect(free.takenOver).toEqual([]);
    const held = Object.fromEntries(free.acquired.map((h) => [h.partition, h]));
    await tick(a, 300, { release: [held[q]!] });
    await sleep(400);
    const after = await tick(b, 5000, { acquire: [p, q] });
    expect(after.acquired.map((h) => h.partition).sort((x, y) => x - y)).toEqual([p, q]);
    expect(after.takenOver).toEqual([p]);
  });

  test('fencing tokens rise across partitions too (one counter), so any two of a user can be compared', async () => {
    const a = freshNode('a');
    const [p, q] = [freshPartition(), freshPartition()];
    const x = (await tick(a, 5000, { acquire: [p] })).acquired[0]!;
    const y = (await tick(a, 5000, { acquire: [q] })).acquired[0]!;
    expect(y.token).toBeGreaterThan(x.token);
  });

  test('only the holder renews; a holder whose partition was taken since is told it lost it', async () => {
    const [a, b, p] = [freshNode('a'), freshNode('b'), freshPartition()];
    const held = (await tick(a, 400, { acquire: [p] })).acquired[0]!;
    expect((await tick(a, 400, { renew: [held] })).lost).toEqual([]);
    await sleep(500);
    const taken = (await tick(b, 5000, { acquire: [p] })).acquired[0]!;
    expect((await tick(a, 5000, { renew: [held] })).lost).toEqual([p]);
    expect(await backend.node().ownership.holder(p)).toBe(b);
    expect((await tick(b, 5000, { renew: [taken] })).lost).toEqual([]);
  });

  test('a lease that lapsed but that nobody took since is taken back by renewing it (same token)', async () => {
    const [a, p] = [freshNode('a'), freshPartition()];
    const held = (await tick(a, 40, { acquire: [p] })).acquired[0]!;
    await sleep(80);
    expect(await backend.node().ownership.holder(p)).toBeNull();
    expect((await tick(a, 5000, { renew: [held] })).lost).toEqual([]);
    expect(await backend.node().ownership.holder(p)).toBe(a);
  });

  test('release frees the partition at once, but only when done by its holder with its token', async () => {
    const [a, b, p] = [freshNode('a'), freshNode('b'), freshPartition()];
    const held = (await tick(a, 5000, { acquire: [p] })).acquired[0]!;
    await tick(b, 5000, { release: [held] });
    await tick(a, 5000, { release: [{ ...held, token: held.token + 1 }] });
    expect(await backend.node().ownership.holder(p)).toBe(a);
    await tick(a, 5000, { release: [held] });
    expect(await backend.node().ownership.holder(p)).toBeNull();
    expect((await tick(b, 5000, { acquire: [p] })).acquired[0]?.token).toBeGreaterThan(held.token);
  });

  test('a node acquiring again under its own name (restarted) gets a new token, and its old self loses the partition', async () => {
    const [a, p] = [freshNode('a'), freshPartition()];
    const old = (await tick(a, 5000, { acquire: [p] })).acquired[0]!;
    const again = (await tick(a, 5000, { acquire: [p] })).acquired[0]!;
    expect(again.token).toBeGreaterThan(old.token);
    expect((await tick(a, 5000, { renew: [old] })).lost).toEqual([p]);
  });

  test('a node is a member from its first tick until it leaves or stops ticking for the TTL; wasMember says whether it was one before', async () => {
    const [a, b, c] = [freshNode('a'), freshNode('b'), freshNode('c')];
    expect((await tick(a, 5000)).wasMember).toBe(false);
    expect((await tick(a, 5000)).wasMember).toBe(true);
    const seen = (await Promise.all([tick(b, 1000), tick(c, 5000)]).then(() => tick(a, 5000))).members;
    expect(seen).toEqual(expect.arrayContaining([a, b, c]));
    expect(seen).toEqual([...seen].sort());
    await sleep(1200);
    await tick(c, 5000, { leave: true });
    const after = (await tick(a, 5000)).members;
    expect(after).toContain(a);
    expect(after).not.toContain(b);
    expect(after).not.toContain(c);
    // b stalled past its TTL: back as a member, but told it was not one.
    expect((await tick(b, 5000)).wasMember).toBe(false);
  });

  test('a tick with another PARTITIONS than the live members use is refused and changes nothing; alone, a node may change it', async () => {
    // Its own record: the namespace's other tests tick with 1024.
    const own = make();
    const [a, b, p] = [freshNode('a'), freshNode('b'), freshPartition()];
    const t = (node: string, partitions: number, acquire: number[] = []) => own.node().ownership.tick({ node, ttlMs: 400, renew: [], release: [], acquire, partitions });
    await t(a, 1024);
    const refused = await t(b, 512, [p]);
    expect(refused.partitionsInUse).toBe(1024);
    expect(refused.acquired).toEqual([]);
    expect(await own.node().ownership.holder(p)).toBeNull();
    await sleep(500);
    // Every node stopped (a lapsed): the next one to start sets the count.
    expect((await t(b, 512)).partitionsInUse).toBeUndefined();
    await own.close();
  });
});

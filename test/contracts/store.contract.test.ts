import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { redisKeys } from '../../server/src/store/redis-keys.ts';
import { RedisStore } from '../../server/src/store/redis-store.ts';
import { FencedWriteError, PERSISTED_SESSION_VERSION, readPersisted, type PersistedSession } from '../../server/src/store/store.ts';
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

const session = (revision: number, note = ''): PersistedSession => ({
  version: PERSISTED_SESSION_VERSION,
  revision,
  snapshot: { value: 'idle', context: { userId: 'x', revision, note, nested: { list: [1, 2, { a: null }] } } },
  savedAt: 1234.5,
  node: 'node-a',
});

describe.each(backends)('Store contract: %s', (_name, make) => {
  let backend: Backend;
  beforeAll(() => {
    backend = make();
  });
  afterAll(async () => {
    await backend.close();
  });

  test('a session saved is loaded back as it was; an unknown user loads as null', async () => {
    const { store } = backend.node();
    const user = freshUser();
    expect(await store.load(user)).toBeNull();
    await store.save(user, session(3, 'three'));
    expect(await store.load(user)).toEqual(session(3, 'three'));
  });

  test('an older revision never overwrites a newer one; the same revision does', async () => {
    const { store } = backend.node();
    const user = freshUser();
    await store.save(user, session(5, 'five'));
    await store.save(user, session(4, 'four'));
    expect((await store.load(user))?.revision).toBe(5);
    await store.save(user, session(5, 'five again'));
    expect(await store.load(user)).toEqual(session(5, 'five again'));
  });

  test("a session's command results come back whole across many saves, capped, also after another node restored and saved it", async () => {
    const a = backend.node();
    const b = backend.node();
    const user = freshUser();
    type Entry = { commandId: string; result: { ok: boolean; revision: number } };
    const withResults = (revision: number, results: Entry[]): PersistedSession => ({
      version: PERSISTED_SESSION_VERSION,
      revision,
      snapshot: { value: 'idle', context: { userId: user, revision, results } },
    });
    // As a session builds them: each context shares the entries of the one before, plus one.
    let results: Entry[] = [];
    for (let i = 1; i <= 140; i++) {
      results = [...results, { commandId: `c${i}`, result: { ok: true, revision: i } }].slice(-128);
      await a.store.save(user, withResults(i, results));
    }
    expect(await a.store.load(user)).toEqual(withResults(140, results));
    // Another node restores it (fresh objects) and goes on.
    const restored = (await b.store.load(user))!;
    let more = (restored.snapshot as { context: { results: Entry[] } }).context.results;
    for (let i = 141; i <= 143; i++) {
      more = [...more, { commandId: `c${i}`, result: { ok: true, revision: i } }].slice(-128);
      await b.store.save(user, withResults(i, more));
    }
    const loaded = await a.store.load(user);
    expect(loaded).toEqual(withResults(143, more));
    expect(more[0]!.commandId).toBe('c16');
  });

  test('delete forgets the session', async () => {
    const { store } = backend.node();
    const user = freshUser();
    await store.save(user, session(1));
    await store.delete(user);
    expect(await store.load(user)).toBeNull();
  });

  test('a write carrying the token of the latest claim is stored; one with another token is refused', async () => {
    const { store } = backend.node();
    const user = freshUser();
    expect(await store.load(user, 7)).toBeNull();
    await store.save(user, session(1), 7);
    expect((await store.load(user))?.revision).toBe(1);
    await expect(store.save(user, session(2), 6)).rejects.toBeInstanceOf(FencedWriteError);
    await expect(store.save(user, session(2), 8)).rejects.toBeInstanceOf(FencedWriteError);
    expect((await store.load(user))?.revision).toBe(1);
  });

  test("once a newer owner claimed the session, a stale owner's write is refused and changes nothing, whatever its revision, and so is its claim", async () => {
    const a = backend.node();
    const b = backend.node();
    const user = freshUser();
    await a.store.load(user, 10);
    await a.store.save(user, session(1, 'by a'), 10);
    // node-a was paused past its lease; node-b took the partition over (a larger token), restored and wrote.
    expect(await b.store.load(user, 11)).toEqual(session(1, 'by a'));
    await b.store.save(user, session(2, 'by b'), 11);
    // node-a wakes up and writes a "newer" revision with its old token, or restores again.
    await expect(a.store.save(user, session(99, 'stale a'), 10)).rejects.toBeInstanceOf(FencedWriteError);
    await expect(a.store.load(user, 10)).rejects.toBeInstanceOf(FencedWriteError);
    expect(await a.store.load(user)).toEqual(session(2, 'by b'));
  });

  test('earlier format versions are read (with no groups before version 3); a newer one is refused with a clear error', async () => {
    const { store } = backend.node();
    const user = freshUser();
    const v2 = { version: PERSISTED_SESSION_VERSION - 1, revision: 7, snapshot: { value: 'idle', context: { revision: 7 } } };
    await store.save(user, v2);
    expect(readPersisted((await store.load(user))!)).toEqual({ value: 'idle', context: { revision: 7, groups: {}, groupCount: 0 }, results: [] });
    const v1 = { ...v2, version: 1 };
    expect(readPersisted(v1).context.groups).toEqual({});
    const groups = { g: { id: 'g', name: 'Downstairs', memberIds: ['a'], playingIds: [] } };
    const v3 = { ...v2, version: PERSISTED_SESSION_VERSION, snapshot: { value: 'idle', context: { revision: 7, groups, groupCount: 1 } } };
    expect(readPersisted(v3).context.groups).toEqual(groups);
    expect(() => readPersisted({ ...v2, version: PERSISTED_SESSION_VERSION + 1 })).toThrow(/not readable by this node/);
  });
});

// Not part of the contract: memory lives as long as the process; Redis keeps what it is told to.
describe('Redis store', () => {
  test('a session not written for its TTL is deleted with its results; every write starts the time again', async () => {
    const client = redis.client();
    const store = new RedisStore(client, { ttlMs: 600 });
    const user = freshUser();
    const withResult = (revision: number): PersistedSession => ({
      ...session(revision),
      snapshot: { value: 'idle', context: { revision, results: [{ commandId: `c${revision}`, result: { ok: true } }] } },
    });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await store.save(user, withResult(1));
    await sleep(400);
    await store.save(user, withResult(2));
    await sleep(400);
    // 800 ms after the first write, 400 after the second: still there.
    expect((await store.load(user))?.revision).toBe(2);
    expect(await client.pttl(redisKeys.session(user))).toBeGreaterThan(0);
    await sleep(500);
    expect(await store.load(user)).toBeNull();
    expect(await client.exists(redisKeys.session(user), redisKeys.results(user))).toBe(0);
  });
});

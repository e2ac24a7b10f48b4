import { SimDevice } from '@handoff/device-sim';
import { parseConfig, signToken, silentLog, startHub } from '@handoff/server';
import { describe, expect, inject, test } from 'vitest';
import { MemoryStore } from '../../server/src/store/memory-store.ts';
import { startFleet } from '../helpers/fleet.ts';
import { startMain } from '../helpers/main-process.ts';
import { startRedis } from '../helpers/redis.ts';
import { sharedRedisCluster } from '../helpers/redis-cluster.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { scrape } from '../helpers/scrape.ts';
import { startTestHub } from '../helpers/start-hub.ts';

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as unknown };
};

/** A store whose server is gone: loads fail, or never answer. */
class BrokenStore extends MemoryStore {
  constructor(private readonly how: 'refuses' | 'hangs') {
    super();
  }
  override load(_userId: string) {
    if (this.how === 'refuses') return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    return new Promise<never>(() => {});
  }
}

describe('readiness', () => {
  test('ready while the store answers; draining turns /readyz to 503 with the reason while /healthz and the devices carry on', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'alice', ['phone']);
    const phone = fleet.devices[0]!;
    expect(await get(`${hub.url}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });

    hub.hub.startDraining('moving users to other nodes');
    expect(await get(`${hub.url}/readyz`)).toEqual({ status: 503, body: { status: 'not ready', reason: 'draining: moving users to other nodes' } });
    expect((await get(`${hub.url}/healthz`)).status).toBe(200);
    expect(await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    expect((await scrape(hub)).value('handoff_draining')).toBe(1);
  });

  test.each([
    ['refuses connections', 'refuses' as const, 'store unreachable: connect ECONNREFUSED 127.0.0.1:6379'],
    ['does not answer', 'hangs' as const, 'store unreachable: no answer in 800 ms'],
  ])('a store that %s makes /readyz 503 naming it, while /healthz stays 200', async (_what, how, reason) => {
    await using hub = await startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1' }), { log: silentLog, store: new BrokenStore(how) });
    expect(await get(`${hub.url}/readyz`)).toEqual({ status: 503, body: { status: 'not ready', reason } });
    expect((await get(`${hub.url}/healthz`)).status).toBe(200);
  });

  test('on a Redis Cluster (REDIS_CLUSTER_NODES), /readyz is ready once every slot has a master that answers', async () => {
    const cluster = await sharedRedisCluster(inject('redisClusterDir'));
    await using hub = await startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1', REDIS_CLUSTER_NODES: cluster.seeds, NODE_ID: 'ready-cluster', LEASE_TTL_MS: '1000' }), { log: silentLog });
    await expect.poll(async () => (await get(`${hub.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
  });

  test('a Redis that stops answering (connections open, nothing comes back) makes /readyz 503 at the probe deadline instead of hanging', async () => {
    await using redis = await startRedis({ aof: false });
    await using proxy = await startTcpProxy(redis.port);
    await using hub = await startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: `redis://127.0.0.1:${proxy.port}`, NODE_ID: 'ready-silent', LEASE_TTL_MS: '3000' }), { log: silentLog });
    // Just started, it holds none of its partitions yet: not ready, saying why, until it does.
    const first = await get(`${hub.url}/readyz`);
    expect(first).toEqual({ status: 503, body: { status: 'not ready', reason: expect.stringMatching(/^starting: this node does not hold its partitions yet/) as string } });
    await expect.poll(async () => await get(`${hub.url}/readyz`), { timeout: 10_000, interval: 100 }).toEqual({ status: 200, body: { status: 'ready' } });
    proxy.silenceExisting();
    const answer = await get(`${hub.url}/readyz`);
    expect(answer.status).toBe(503);
    expect((answer.body as { reason: string }).reason).toMatch(/unreachable: no answer in 800 ms/);
  });

  test('SIGTERM drains the process: it says it is not ready, asks devices to reconnect elsewhere and exits 0', async () => {
    const secret = 'sigterm-test-secret-0123456789';
    await using proc = await startMain({ HUB_SECRET: secret });
    const events: string[] = [];
    const device = new SimDevice({
      hub: `${proc.url.replace('http', 'ws')}/v1/connect`,
      user: 'alice',
      token: await signToken(secret, { userId: 'alice', role: 'device' }, 60),
      kind: 'speaker',
      onEvent: (line) => events.push(line),
    });
    await device.connect();
    expect((await get(`${proc.url}/readyz`)).status).toBe(200);

    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    const lines = proc.stderr().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', msg: 'draining: not ready for new traffic', reason: 'shutting down' }));
    await expect.poll(() => events.some((e) => e.includes('hub asks to reconnect: hub shutting down'))).toBe(true);
    await device.close();
  });
});

import type { SimDevice } from '@handoff/device-sim';
import type { RunningHub } from '@handoff/server';
import type { Cluster as UserCluster, CommandResult } from '@handoff/protocol';
import { commandDeadlineMs, DEFAULT_HUB_SETTINGS } from '@handoff/server';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, test, vi } from 'vitest';
import { synced } from '../helpers/fleet.ts';
import { startCluster, type TestCluster } from '../helpers/hub-cluster.ts';
import { partitionHolder } from '../helpers/partition-owner.ts';
import { sharedRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.ts';
import { openTrace } from '../helpers/trace-client.ts';
import { logLines } from './context.ts';
import { converged, sleep, transferLoop } from './invariants.ts';
import { partitionMoves } from './partition-moves.ts';

/**
 * Three hub processes on a real Redis Cluster (3 masters, 3 replicas; REDIS_CLUSTER_NODES),
 * shared with the rest of the run. Every change waits for one replica (the default with
 * replicas), so a master killed with -9 and replaced by its replica loses nothing committed.
 */
const TTL_MS = 2000;
vi.setConfig({ testTimeout: 120_000 });

let redis: TestRedisCluster;
let hubs: TestCluster;
let client: Cluster;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await sharedRedisCluster(inject('redisClusterDir'));
  env = { REDIS_CLUSTER_NODES: redis.seeds, LEASE_TTL_MS: String(TTL_MS), HEARTBEAT_MS: '1000', GRACE_MS: '60000' };
  hubs = await startCluster(3, env);
  client = redis.client();
}, 90_000);

afterAll(async () => {
  await hubs?.close();
  redis?.disconnectClients();
}, 30_000);

const run = `${process.pid}-${Date.now().toString(36)}`;

/** One user whose keys sit on each master, so every shard serves sessions. */
async function usersOnEveryMaster(prefix: string): Promise<string[]> {
  const masters = await redis.masters();
  const byMaster = new Map<number, string>();
  for (let i = 0; byMaster.size < masters.length && i < 1000; i++) {
    const user = `${prefix}-${run}-${i}`;
    const master = await redis.masterOf(`session:{${user}}`);
    if (!byMaster.has(master)) byMaster.set(master, user);
  }
  expect(byMaster.size).toBe(masters.length);
  return [...byMaster.values()];
}

const storedRevision = async (user: string) => Number((await client.hget(`session:{${user}}`, 'r')) ?? -1);
const holder = (user: string) => partitionHolder(client, user);

/** What must survive: the revision, who plays, what comes next, and every device's volume. */
const essentials = (c: UserCluster | null) => ({
  revision: c?.revision,
  active: c?.activeDeviceId,
  upNext: c?.playback.upNext,
  track: c?.playback.track,
  volumes: Object.fromEntries((c?.devices ?? []).map((d) => [d.id, d.volume])),
});

describe('hub nodes on a Redis Cluster (REDIS_CLUSTER_NODES)', () => {
  test('users whose sessions sit on every master play and transfer across three hub nodes, and their sessions are stored', async () => {
    const users = await usersOnEveryMaster('everywhere');
    await Promise.all(
      users.map(async (user) => {
        const phone = await hubs.device(user, 0, { kind: 'phone' });
        const speaker = await hubs.device(user, 1, { kind: 'speaker' });
        const tv = await hubs.device(user, 2, { kind: 'tv' });
        const all = [phone, speaker, tv];
        await synced(all);
        expect(await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
        await speaker.waitFor(() => speaker.player.playing, 3000, 'speaker playing');
        expect(await speaker.command({ type: 'command.transfer', deviceId: tv.id })).toMatchObject({ ok: true });
        await tv.waitFor(() => tv.player.playing, 3000, 'tv playing');
        expect(await tv.command({ type: 'command.volume', deviceId: tv.id, volumePercent: 37 })).toMatchObject({ ok: true });
        await converged(all);
        expect(tv.cluster?.activeDeviceId).toBe(tv.id);
        expect(phone.cluster?.devices.find((d) => d.id === tv.id)?.volume).toBe(37);
        expect(await storedRevision(user)).toBe(phone.revision);
        expect(hubs.nodes.map((n) => n.nodeId)).toContain(await holder(user));
      }),
    );
    // Sharded pub/sub: no node read a live subscription as silent, so none resubscribed in a loop.
    expect(logLines(hubs.nodes).filter((l) => l.msg === 'bus: subscription went silent, resubscribing')).toEqual([]);
  });

  test('traces on demand on a cluster: users nobody watches leave no trace in Redis; a viewer on a node that does not own a user, on any master, sees its trace live', async () => {
    const users = await usersOnEveryMaster('traced');
    await Promise.all(
      users.map(async (user) => {
        const phone = await hubs.device(user, 0, { kind: 'phone' });
        await synced([phone]);
        expect(await phone.command({ type: 'command.volume', deviceId: phone.id, volumePercent: 12 })).toMatchObject({ ok: true });
        const owner = await holder(user);
        expect(await client.exists(`trace:{${user}}`)).toBe(0);
        const viewerNode = hubs.nodes.find((n) => n.nodeId !== owner)!;
        await using viewer = openTrace({ url: viewerNode.url } as RunningHub, await hubs.token(user, 'viewer'));
        await viewer.hello;
        expect(await phone.command({ type: 'command.volume', deviceId: phone.id, volumePercent: 13 })).toMatchObject({ ok: true });
        await viewer.until((events) => events.some((e) => e.kind === 'message.in' && e.type === 'command.volume' && (e.payload as { volumePercent?: number }).volumePercent === 13), 10_000);
        const seqs = viewer.events.map((e) => e.seq);
        expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
      }),
    );
  });

  test('kill -9 of the master holding a user while it plays and transfers: its replica takes over, commands resume, nothing committed is lost', async () => {
    const [user] = await usersOnEveryMaster('master-kill');
    const master = await redis.masterOf(`session:{${user!}}`);
    const phone = await hubs.device(user!, 0, { kind: 'phone' });
    const speaker = await hubs.device(user!, 1, { kind: 'speaker' });
    const tv = await hubs.device(user!, 2, { kind: 'tv' });
    const all: SimDevice[] = [phone, speaker, tv];
    await synced(all);
    await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
    await speaker.waitFor(() => speaker.player.playing, 3000, 'playing');

    const transfers = transferLoop([speaker, tv], [tv, speaker], { gapMs: 150, timeoutMs: 3000 });
    const volumes: Array<{ value: number; result: CommandResult | null }> = [];
    let stopping = false;
    const volumeLoop = (async () => {
      for (let i = 0; !stopping; i++) {
        const value = 10 + (i % 80);
        const rec: { value: number; result: CommandResult | null } = { value, result: null };
        volumes.push(rec);
        const commandId = `vol-${run}-${i}`;
        for (let attempt = 0; attempt < 8 && !rec.result; attempt++) {
          rec.result = await phone.command({ type: 'command.volume', deviceId: phone.id, volumePercent: value, commandId }, 3000).catch(() => null);
        }
        await sleep(100);
      }
    })();
    await sleep(1500);
    const seenBeforeKill = Math.max(...all.map((d) => d.revision));
    const killedAt = Date.now();
    await redis.kill(master);
    // While a master is gone, hubs say they are not ready (and say so within their probe deadline).
    let notReady: { status: number; reason?: string } = { status: 0 };
    while (notReady.status !== 503 && Date.now() - killedAt < 10_000) {
      const res = await fetch(`${hubs.nodes[1]!.url}/readyz`);
      const { reason } = (await res.json()) as { reason?: string };
      notReady = { status: res.status, ...(reason !== undefined ? { reason } : {}) };
    }
    expect(notReady.reason).toMatch(/redis slots|unreachable/);
    // The replica is promoted; the killed node comes back (as a supervisor would restart it) and rejoins as its replica.
    await redis.healthy(30_000);
    const failoverMs = Date.now() - killedAt;
    expect(await redis.masters()).not.toContain(master);
    await redis.revive(master);
    await redis.healthy(30_000);
    await expect.poll(async () => (await fetch(`${hubs.nodes[1]!.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
    await sleep(2500);
    stopping = true;
    await volumeLoop;
    const records = await transfers.stop();

    // Commands resumed after the failover.
    const okAfter = records.filter((r) => r.result?.ok && r.sentAt > killedAt + failoverMs);
    expect(okAfter.length).toBeGreaterThan(0);
    await converged(all, 15_000);
    // Every committed change is in the store of the new master.
    const okRevisions = [...records.map((r) => r.result), ...volumes.map((v) => v.result)].flatMap((r) => (r?.ok ? [r.revision] : []));
    const stored = await storedRevision(user!);
    expect(stored).toBeGreaterThanOrEqual(Math.max(seenBeforeKill, ...okRevisions));
    expect(stored).toBe(phone.revision);
    const lastVolume = volumes.filter((v) => v.result?.ok).at(-1)!;
    expect(phone.cluster?.devices.find((d) => d.id === phone.id)?.volume).toBe(lastVolume.value);

    // Restored from Redis alone (its owner killed too), the session is what every device saw.
    const before = essentials(phone.cluster);
    const ownerId = await holder(user!);
    const ownerNode = hubs.nodes.find((n) => n.nodeId === ownerId)!;
    await ownerNode.kill();
    for (const d of all) await d.waitFor(() => d.connected && d.cluster !== null, 15_000, 'reconnected');
    const deadline = Date.now() + TTL_MS + 10_000;
    while ((await holder(user!)) === ownerId || (await holder(user!)) === null) {
      if (Date.now() > deadline) throw new Error('nobody took the session over');
      await sleep(50);
    }
    // A command makes sure the new owner restored it and pushed its state to every device.
    const pinged = await phone.command({ type: 'command.volume', deviceId: phone.id, volumePercent: lastVolume.value }, 10_000);
    expect(pinged).toMatchObject({ ok: true });
    await converged(all, 15_000);
    const after = essentials(phone.cluster);
    expect({ ...after, revision: undefined }).toEqual({ ...before, revision: undefined });
    expect(after.revision).toBeGreaterThanOrEqual(before.revision!);
    const taken = logLines(hubs.nodes).find((l) => l.msg === 'mesh: session taken' && l.userId === user && l.node !== ownerId && Number(l.revision) >= before.revision!);
    expect(taken, 'the new owner restored the revision every device had seen').toBeTruthy();
    await ownerNode.start();
    process.stdout.write(`\nredis cluster: master kill -9 -> every slot served again after ${failoverMs} ms; ${okRevisions.length} commands committed around it\n`);
  });

  test('a master stalled (SIGSTOP) past the lease TTL: HTTP commands through every node answer before the stall ends; sent again with the same key they answer for real, and nothing committed is lost', async () => {
    const [user] = await usersOnEveryMaster('stall');
    const master = await redis.masterOf(`session:{${user!}}`);
    const phone = await hubs.device(user!, 0, { kind: 'phone' });
    const speaker = await hubs.device(user!, 1, { kind: 'speaker' });
    await synced([phone, speaker]);
    await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
    await speaker.waitFor(() => speaker.player.playing, 3000, 'playing');
    const authorization = `Bearer ${await hubs.token(user!)}`;
    const volume = (node: number, key: string, percent: number) =>
      fetch(`${hubs.nodes[node]!.url}/v1/me/player/volume?volume_percent=${percent}&device_id=${phone.id}`, { method: 'PUT', headers: { authorization, 'idempotency-key': key } });

    redis.pause(master);
    let resumed = false;
    const resume = sleep(3 * TTL_MS).then(() => {
      resumed = true;
      redis.resume(master);
    });
    const answers = await Promise.all(
      hubs.nodes.map(async (_, i) => {
        const res = await volume(i, `stall-${run}-${i}`, 20 + i);
        return { node: i, status: res.status, beforeTheStallEnded: !resumed };
      }),
    );
    await resume;
    // Nobody waited for Redis to come back: each got its outcome, or a retryable code, within its deadline.
    expect(answers.every((a) => a.beforeTheStallEnded)).toBe(true);
    for (const a of answers) expect([204, 503, 504]).toContain(a.status);

    await redis.healthy(30_000);
    // Sent again with the same key, each answers with its real outcome (applied once).
    for (const a of answers) {
      let status = a.status;
      for (let attempt = 0; attempt < 20 && status !== 204; attempt++) {
        await sleep(500);
        status = (await volume(a.node, `stall-${run}-${a.node}`, 20 + a.node)).status;
      }
      expect(status).toBe(204);
    }
    await converged([phone, speaker], 15_000);
    expect([20, 21, 22]).toContain(phone.cluster?.devices.find((d) => d.id === phone.id)?.volume);
    expect(await storedRevision(user!)).toBe(phone.revision);
    process.stdout.write(`\nredis cluster: master stalled for ${3 * TTL_MS} ms -> first answers ${answers.map((a) => a.status).join(', ')}\n`);
  });

  test('a master stalled (SIGSTOP) past the lease TTL: device commands on the owner node and off it are answered before the stall ends (COMMAND_TIMEOUT, may still take effect); sent again with the same id they answer for real', async () => {
    const [user] = await usersOnEveryMaster('device-stall');
    const master = await redis.masterOf(`session:{${user!}}`);
    const phone = await hubs.device(user!, 0, { kind: 'phone' });
    const speaker = await hubs.device(user!, 1, { kind: 'speaker' });
    await synced([phone, speaker]);
    await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
    await speaker.waitFor(() => speaker.player.playing, 3000, 'playing');
    const owner = await holder(user!);
    expect(hubs.nodes.map((n) => n.nodeId)).toContain(owner);
    const sent = [phone, speaker].map((device, i) => ({ device, commandId: `dstall-${run}-${i}`, volumePercent: 30 + i }));
    const volume = (s: (typeof sent)[number]) => ({ type: 'command.volume', deviceId: phone.id, volumePercent: s.volumePercent, commandId: s.commandId }) as const;
    // Longer than the lease TTL and than twice the command's deadline: an answer before it ends came from the deadline, not from Redis.
    const stallMs = Math.max(3 * TTL_MS, 2 * commandDeadlineMs(volume(sent[0]!), DEFAULT_HUB_SETTINGS));

    redis.pause(master);
    let resumed = false;
    const resume = sleep(stallMs).then(() => {
      resumed = true;
      redis.resume(master);
    });
    const answers = await Promise.all(
      sent.map(async (s) => {
        const result = await s.device.command(volume(s), 10 * stallMs);
        return { ...s, result, beforeTheStallEnded: !resumed };
      }),
    );
    await resume;
    expect(answers.map((a) => a.beforeTheStallEnded)).toEqual([true, true]);
    for (const { result } of answers) if (!result.ok) expect(['COMMAND_TIMEOUT', 'UNAVAILABLE']).toContain(result.code);
    expect(answers.some((a) => !a.result.ok && a.result.code === 'COMMAND_TIMEOUT' && /may still take effect/.test(a.result.message))).toBe(true);

    await redis.healthy(30_000);
    for (const a of answers) {
      let result = a.result;
      for (let attempt = 0; attempt < 20 && !result.ok; attempt++) {
        await sleep(500);
        result = await a.device.command(volume(a), 10_000).catch(() => result);
      }
      expect(result).toMatchObject({ ok: true });
    }
    await converged([phone, speaker], 15_000);
    expect([30, 31]).toContain(phone.cluster?.devices.find((d) => d.id === phone.id)?.volume);
    expect(await storedRevision(user!)).toBe(phone.revision);
    process.stdout.write(`\nredis cluster: master stalled for ${stallMs} ms -> device commands first answered ${answers.map((a) => (a.result.ok ? 'ok' : a.result.code)).join(', ')}\n`);
  });
});

partitionMoves(() => ({ hubs, env, ttlMs: TTL_MS, holder, run }));

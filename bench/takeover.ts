import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { LeanDevice } from '@handoff/device-sim';
import { signToken } from '@handoff/server';
import { DEFAULT_PARTITIONS } from '../server/src/cluster/partitions.ts';
import { ownerOf } from '../server/src/cluster/rendezvous.ts';
import { redisKeys } from '../server/src/store/redis-keys.ts';
import { clusterDir, clusterOf, createRedisCluster, destroyRedisCluster } from '../test/helpers/redis-cluster.ts';
import { hubProcess } from './redis-kit.ts';
import { percentile } from './stats.ts';

/**
 * Takeover time, as an operator sees it: 3 hub processes on a Redis Cluster of 3 masters with 2
 * replicas each (the deployment docs/DEPLOY.md recommends: after a failover the new master still
 * has a replica for REDIS_MIN_REPLICAS=1), and users each with one idle device sending a volume
 * command every 100 ms.
 *
 * - `hub`: kill -9 of a hub node. Its users (it owns their partitions by rendezvous) have their
 *   device on a surviving node. Time from the kill until each user's first command sent after it
 *   succeeds; then the node starts again and takes its partitions back.
 * - `master`: kill -9 of the Redis master holding the users' sessions (not the one holding the
 *   ownership record). Time from the kill until each user's first command sent after it succeeds;
 *   then the killed node comes back as a replica.
 *
 * Lost committed changes, both: after the traffic stopped, a user whose stored revision is below
 * the highest revision any of its commands was acknowledged with (must be 0).
 *
 *   npx tsx bench/takeover.ts --users 30 --runs 3 [--ttl 5000]
 */
const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '30' },
    runs: { type: 'string', default: '3' },
    ttl: { type: 'string', default: '5000' },
    only: { type: 'string', default: 'hub,master' },
  },
});
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'takeover-bench-secret-0123456789';
const USERS = Number(values.users);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NODES = ['tk-0', 'tk-1', 'tk-2'];

const dir = clusterDir();
await createRedisCluster(dir, 3, 2);
const redis = clusterOf(dir);
const client = redis.client();
const env = { REDIS_CLUSTER_NODES: redis.seeds, HUB_SECRET: SECRET, LEASE_TTL_MS: values.ttl, LOG_LEVEL: 'error' };
type Hub = { port: number; proc: ChildProcess };
const hubs = new Map<string, Hub>();
const ready = async (hub: Hub) => {
  for (let i = 0; i < 600; i++) {
    if ((await fetch(`http://127.0.0.1:${hub.port}/readyz`).catch(() => null))?.status === 200) return;
    await sleep(100);
  }
  throw new Error('a hub did not become ready');
};
const startNode = async (id: string) => {
  const hub = await hubProcess(ROOT, id, env);
  hubs.set(id, hub);
  await ready(hub);
};

/** One user: a device on `port`, and its traffic once started. */
async function userOn(user: string, port: number) {
  const token = await signToken(SECRET, { userId: user, role: 'device' }, 3600);
  const device = new LeanDevice({ url: `ws://127.0.0.1:${port}/v1/connect?access_token=${token}`, id: `speaker-${user}` });
  await device.connect();
  let n = 0;
  let stop = false;
  let maxAcked = -1;
  let failures = 0;
  /** When a command sent at or after `since` first succeeded (0: none yet). */
  let since = Infinity;
  let recoveredAt = 0;
  const send = async () => {
    const sentAt = Date.now();
    const result = await device.command({ type: 'command.volume', commandId: `${user}-${++n}`, deviceId: device.id, volumePercent: n % 100 }, 5000).catch(() => null);
    if (result?.ok) {
      maxAcked = Math.max(maxAcked, result.revision);
      if (sentAt >= since && recoveredAt === 0) recoveredAt = Date.now();
    } else failures++;
    return result?.ok ?? false;
  };
  if (!(await send())) throw new Error(`warm-up command of ${user} failed`);
  const loop = (async () => {
    while (!stop) {
      await send();
      await sleep(100);
    }
  })();
  return {
    user,
    mark: (at: number) => (since = at),
    get recoveredAt() {
      return recoveredAt;
    },
    get failures() {
      return failures;
    },
    get maxAcked() {
      return maxAcked;
    },
    async stop() {
      stop = true;
      await loop;
      device.close();
    },
  };
}
type User = Awaited<ReturnType<typeof userOn>>;

/** Kill at `kill()`, wait until every user recovered, stop; recovery times and lost changes. */
async function measure(users: User[], kill: () => Promise<void>, label: string) {
  await sleep(1000);
  const killedAt = Date.now();
  for (const u of users) u.mark(killedAt);
  await kill();
  for (let i = 0; i < 600 && users.some((u) => u.recoveredAt === 0); i++) await sleep(100);
  await sleep(1000);
  await Promise.all(users.map((u) => u.stop()));
  await sleep(500);
  const stored = await Promise.all(users.map(async (u) => Number((await client.hget(`session:{${u.user}}`, 'r')) ?? -1)));
  const times = users.filter((u) => u.recoveredAt > 0).map((u) => u.recoveredAt - killedAt);
  return {
    scenario: label,
    users: users.length,
    recovered: times.length,
    recoveryMs: { p50: Math.round(percentile(times, 50)), p95: Math.round(percentile(times, 95)), max: Math.max(...times) },
    failedCommands: users.reduce((n, u) => n + u.failures, 0),
    lostCommitted: users.filter((u, i) => stored[i]! < u.maxAcked).length,
  };
}

const results: Array<Awaited<ReturnType<typeof measure>>> = [];
try {
  for (const id of NODES) await startNode(id);
  const runs = Number(values.runs);
  for (let r = 0; r < runs && values.only.includes('hub'); r++) {
    const victim = NODES[r % NODES.length]!;
    const survivors = NODES.filter((n) => n !== victim);
    const users: User[] = [];
    for (let i = 0; users.length < USERS; i++) {
      const user = `tk-hub-${r}-${i}`;
      if (ownerOf(user, NODES, DEFAULT_PARTITIONS) !== victim) continue;
      users.push(await userOn(user, hubs.get(survivors[users.length % survivors.length]!)!.port));
    }
    const result = await measure(users, () => Promise.resolve(void hubs.get(victim)!.proc.kill('SIGKILL')), `hub kill -9 (${victim}), LEASE_TTL_MS ${values.ttl}`);
    results.push(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    await startNode(victim);
  }
  const ownershipMaster = await redis.masterOf(redisKeys.members('handoff'));
  for (let r = 0; r < runs && values.only.includes('master'); r++) {
    const master = (await redis.masters()).find((m) => m !== ownershipMaster)!;
    const users: User[] = [];
    for (let i = 0; users.length < USERS; i++) {
      const user = `tk-master-${r}-${i}`;
      if ((await redis.masterOf(`session:{${user}}`)) !== master) continue;
      users.push(await userOn(user, hubs.get(NODES[users.length % NODES.length]!)!.port));
    }
    const result = await measure(users, () => redis.kill(master), `Redis master kill -9 (${master}), 2 replicas per master`);
    results.push(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    await redis.healthy(30_000);
    await redis.revive(master);
    await redis.healthy(30_000);
  }
  const median = (xs: number[]) => percentile(xs, 50);
  for (const kind of ['hub', 'Redis master']) {
    const mine = results.filter((r) => r.scenario.startsWith(kind));
    if (!mine.length) continue;
    process.stdout.write(
      `${JSON.stringify({ summary: kind, runs: mine.length, medianOfP50Ms: median(mine.map((r) => r.recoveryMs.p50)), medianOfMaxMs: median(mine.map((r) => r.recoveryMs.max)), lostCommitted: mine.reduce((n, r) => n + r.lostCommitted, 0) })}\n`,
    );
  }
} finally {
  for (const hub of hubs.values()) hub.proc.kill('SIGKILL');
  redis.disconnectClients();
  destroyRedisCluster(dir);
}

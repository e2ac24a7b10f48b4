/**
 * `npx tsx scripts/measure-cluster.ts`: the numbers behind docs/SCALING.md, from one run on this
 * machine. Starts a real redis-server and hub processes, then measures:
 *   1. command round trip (device -> hub -> committed, fanned out -> command.result), one user at
 *      a time and under load from many users, on one node without Redis and on three nodes
 *      with Redis where every user's controller and other device are on nodes that do not own
 *      the session (the worst case: two pub/sub hops and a fenced write per command);
 *   2. takeover after kill -9 of the owner, at the default lease TTL (5 s).
 * Options: --commands N (sequential, default 1000), --users N (load, default 40), --seconds S
 * (load, default 5), --kills N (default 3), --fsync always|everysec|no (Redis AOF, default everysec).
 */
import type { SimDevice } from '@handoff/device-sim';
import { percentile } from '@handoff/device-sim';
import { startCluster, type TestCluster } from '../test/helpers/hub-cluster.ts';
import { partitionHolder, userOwnedBy } from '../test/helpers/partition-owner.ts';
import { startRedis } from '../test/helpers/redis.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const COMMANDS = arg('commands', 1000);
const USERS = arg('users', 40);
const SECONDS = arg('seconds', 5);
const KILLS = arg('kills', 3);
const FSYNC = (process.argv[process.argv.indexOf('--fsync') + 1] ?? '') as 'always' | 'everysec' | 'no';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves once `check` holds (polled), or throws after 20 s. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (const until = Date.now() + 20_000; !(await check()); await sleep(50)) if (Date.now() > until) throw new Error('timed out waiting');
}
const say = (line: string) => process.stderr.write(`${line}\n`);

interface Rtt {
  p50: number;
  p99: number;
  n: number;
  perSec?: number;
}

async function rtt(controller: SimDevice, n: number): Promise<Rtt> {
  const samples: number[] = [];
  for (let i = 0; i < n + 50; i++) {
    const t = performance.now();
    const r = await controller.command({ type: 'command.volume', volumePercent: i % 100 }, 5000);
    if (!r.ok) throw new Error(`command refused: ${r.code}`);
    if (i >= 50) samples.push(performance.now() - t);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n: samples.length };
}

/** `users` controllers sending commands back to back for `seconds`. */
async function load(controllers: SimDevice[], seconds: number): Promise<Rtt> {
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    controllers.map(async (c, u) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        const r = await c.command({ type: 'command.volume', volumePercent: (i + u) % 100 }, 10_000);
        if (r.ok) samples.push(performance.now() - t);
      }
    }),
  );
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n: samples.length, perSec: Math.round(samples.length / seconds) };
}

/** A user whose session is on node `owner`, controller on `controllerAt`, another device on `otherAt`. */
async function household(cluster: TestCluster, user: string, owner: number, controllerAt: number, otherAt: number): Promise<SimDevice> {
  const first = await cluster.device(user, owner, { kind: 'speaker' });
  const controller = await cluster.device(user, controllerAt, { kind: 'phone' });
  const other = otherAt !== owner ? await cluster.device(user, otherAt, { kind: 'tv' }) : first;
  // Commands about what plays need an active device: the other one.
  const made = await controller.command({ type: 'command.transfer', deviceId: other.id, play: false }, 10_000);
  if (!made.ok) throw new Error(`could not set up ${user}: ${made.code}`);
  if (owner !== controllerAt && owner !== otherAt) await first.close();
  return controller;
}

const fmt = (r: Rtt) => `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (${r.n} commands${r.perSec ? `, ${r.perSec}/s` : ''})`;

const redis = await startRedis({ fsync: ['always', 'everysec', 'no'].includes(FSYNC) ? FSYNC : 'everysec' });
const results: Record<string, string> = {};
try {
  say('starting one hub without Redis and three on Redis...');
  // No rate limits in the way of a measurement.
  const unlimited = { USER_COMMAND_RATE: '1000000', USER_COMMAND_BURST: '1000000', DEVICE_FRAME_RATE: '1000000', DEVICE_FRAME_BURST: '1000000' };
  const single = await startCluster(1, unlimited);
  const cluster = await startCluster(3, { ...unlimited, REDIS_URL: redis.url });
  try {
    say('sequential round trips...');
    results['one node, no Redis'] = fmt(await rtt(await household(single, 'solo', 0, 0, 0), COMMANDS));
    results['three nodes, controller on the owner'] = fmt(await rtt(await household(cluster, 'same', 0, 0, 1), COMMANDS));
    results['three nodes, controller and other device on other nodes'] = fmt(await rtt(await household(cluster, 'cross', 0, 1, 2), COMMANDS));

    say(`load: ${USERS} users for ${SECONDS} s each way...`);
    const soloControllers = await Promise.all(Array.from({ length: USERS }, (_, u) => household(single, `solo-${u}`, 0, 0, 0)));
    results['load, one node, no Redis'] = fmt(await load(soloControllers, SECONDS));
    const crossControllers = await Promise.all(Array.from({ length: USERS }, (_, u) => household(cluster, `cross-${u}`, u % 3, (u + 1) % 3, (u + 2) % 3)));
    results['load, three nodes, all cross-node'] = fmt(await load(crossControllers, SECONDS));
    await single.close();

    say(`takeover after kill -9, lease TTL 5000 ms, ${KILLS} runs...`);
    const takeovers: number[] = [];
    const firstOk: number[] = [];
    const client = redis.client();
    for (let k = 0; k < KILLS; k++) {
      // A user whose partition node-a owns (it is back as a member after each run, and gets it again).
      const user = userOwnedBy('node-a', cluster.nodes.map((n) => n.nodeId), `kill-${k}`);
      await waitFor(async () => (await partitionHolder(client, user)) === 'node-a');
      const victim = cluster.nodes[0]!;
      const controller = await household(cluster, user, 0, 1, 2);
      await sleep(300);
      const killedAt = Date.now();
      let done = false;
      let okAt = 0;
      const loop = (async () => {
        for (let i = 0; !done; i++) {
          try {
            const r = await controller.command({ type: 'command.volume', volumePercent: i % 100 }, 2000);
            if (r.ok && Date.now() > killedAt && !okAt) okAt = Date.now();
          } catch {
            // lost with the owner: try the next
          }
          await sleep(20);
        }
      })();
      await victim.kill();
      for (;;) {
        const v = await partitionHolder(client, user);
        if (v && v !== 'node-a') break;
        await sleep(5);
      }
      takeovers.push(Date.now() - killedAt);
      while (!okAt) await sleep(10);
      firstOk.push(okAt - killedAt);
      done = true;
      await loop;
      await victim.start();
    }
    results['takeover (partition lease held by a new node) after kill -9'] = takeovers.map((t) => `${t} ms`).join(', ');
    results['first committed command after kill -9'] = firstOk.map((t) => `${t} ms`).join(', ');
  } finally {
    await cluster.close();
    await single.close();
  }
} finally {
  await redis.stop();
}
process.stdout.write(`\n| measurement | result |\n| --- | --- |\n${Object.entries(results).map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n`);
process.exit(0);

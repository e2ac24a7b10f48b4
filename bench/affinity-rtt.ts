import { percentile, SimDevice } from '@handoff/device-sim';
import { parseArgs } from 'node:util';
import { CLUSTER_SECRET, hubProcess, type HubProcess } from '../test/helpers/hub-cluster.ts';
import { startRedis } from '../test/helpers/redis.ts';
import { signToken } from '@handoff/server';

/**
 * Owner affinity, measured: three hub nodes on one Redis, each with its PUBLIC_URL, and users
 * whose two devices connect to random nodes; once the devices have moved to their owners, each
 * user's phone sends commands one at a time. Reported: the share of commands that crossed nodes
 * (handoff_commands_crossed_nodes_total over handoff_commands_total, from every node's /metrics)
 * and command round trips p50 / p99, against one node alone (no Redis) in the same run.
 *
 *   npx tsx bench/affinity-rtt.ts --users 30 --commands 20
 */
const { values } = parseArgs({ options: { users: { type: 'string', default: '30' }, commands: { type: 'string', default: '20' } } });
const USERS = Number(values.users);
const COMMANDS = Number(values.commands);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const counter = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);

async function measure(nodes: HubProcess[], label: string) {
  const devices: SimDevice[] = [];
  const urls = nodes.map((n) => n.wsUrl);
  for (let u = 0; u < USERS; u++) {
    const user = `affinity-${label}-${u}`;
    const token = await signToken(CLUSTER_SECRET, { userId: user, role: 'device' }, 3600);
    for (const kind of ['phone', 'speaker'] as const) {
      const first = Math.floor(Math.random() * urls.length);
      const d = new SimDevice({ hub: urls.map((_, i) => urls[(first + i) % urls.length]!), user, token, id: `${kind}-${u}`, kind, maxBackoffMs: 400 });
      await d.connect();
      devices.push(d);
    }
  }
  // Affinity settles: the devices move to their owners within a second or two.
  await sleep(4000);
  const before = await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/metrics`)).text()));
  const rtts: number[] = [];
  for (let i = 0; i < COMMANDS; i++) {
    await Promise.all(
      devices
        .filter((d) => d.id.startsWith('phone'))
        .map(async (phone) => {
          const t0 = performance.now();
          const r = await phone.command({ type: 'command.volume', deviceId: phone.id, volumePercent: 10 + i }, 10_000);
          if (r.ok) rtts.push(performance.now() - t0);
        }),
    );
  }
  const after = await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/metrics`)).text()));
  const delta = (name: string) => after.reduce((n, t, i) => n + counter(t, name) - counter(before[i]!, name), 0);
  await Promise.all(devices.map((d) => d.close()));
  const commands = delta('handoff_commands_total');
  return {
    setup: label,
    commands,
    crossedShare: commands ? Number((delta('handoff_commands_crossed_nodes_total') / commands).toFixed(3)) : null,
    rttP50Ms: Number(percentile(rtts, 50).toFixed(2)),
    rttP99Ms: Number(percentile(rtts, 99).toFixed(2)),
  };
}

const redis = await startRedis({ aof: false });
const env = { REDIS_URL: redis.url, LOG_LEVEL: 'error', MAX_CONNECTIONS_PER_ADDRESS: '100000', UPGRADE_RATE_PER_ADDRESS: '100000', UPGRADE_BURST_PER_ADDRESS: '100000' };
const three = await Promise.all(['aff-a', 'aff-b', 'aff-c'].map(async (id) => {
  const e: Record<string, string> = { ...env };
  const h = await hubProcess(id, e);
  e.PUBLIC_URL = h.wsUrl;
  return h;
}));
const alone = await hubProcess('aff-alone', { LOG_LEVEL: 'error', MAX_CONNECTIONS_PER_ADDRESS: '100000', UPGRADE_RATE_PER_ADDRESS: '100000', UPGRADE_BURST_PER_ADDRESS: '100000' });
try {
  await Promise.all([...three, alone].map((h) => h.start()));
  await sleep(3000);
  process.stdout.write(`${JSON.stringify(await measure([alone], 'one node alone'))}\n`);
  process.stdout.write(`${JSON.stringify(await measure(three, 'three nodes, PUBLIC_URL, devices start on random nodes'))}\n`);
} finally {
  await Promise.all([...three, alone].map((h) => h.kill()));
  await redis.stop();
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend, eachMaster, hubProcess } from './redis-kit.ts';

/**
 * Redis work at idle: `hubs` hub processes on one Redis or a Redis Cluster (3 masters, 3
 * replicas), N users with one idle device each, connected to the hub that owns the user (where
 * the client library moves it, following `ownerUrl`; bench/idle-devices.ts, 5,000 per process);
 * then every Redis command counted for a while (INFO commandstats on every master, commands run
 * inside scripts included).
 *
 *   npx tsx bench/idle-redis.ts --users 1000,5000 --hubs 3 --redis cluster --seconds 10
 *   npx tsx bench/idle-redis.ts --root /path/to/another/checkout ...   (its hubs, this harness)
 */
const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000,5000' },
    hubs: { type: 'string', default: '3' },
    redis: { type: 'string', default: 'cluster' },
    seconds: { type: 'string', default: '10' },
    root: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
  },
});
const SECRET = 'idle-redis-bench-secret-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function commandStats(ports: number[]): Promise<Map<string, number>> {
  const total = new Map<string, number>();
  for (const text of await eachMaster(ports, (c) => c.info('commandstats')))
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) total.set(m[1]!, (total.get(m[1]!) ?? 0) + Number(m[2]));
  return total;
}

async function resetStats(ports: number[]): Promise<void> {
  await eachMaster(ports, (c) => c.config('RESETSTAT'));
}

async function measure(users: number): Promise<Record<string, unknown>> {
  const be = await backend(values.redis);
  const hubs = await Promise.all(Array.from({ length: Number(values.hubs) }, (_, i) => hubProcess(values.root, `idle-${i}`, { ...be.env, HUB_SECRET: SECRET })));
  // Devices in processes of at most 5,000 (a process's file limit is 20,000), each on its user's owner.
  const ports = Object.fromEntries(hubs.map((h, i) => [`idle-${i}`, h.port]));
  const workers: ChildProcess[] = [];
  try {
    const PER_PROCESS = 5000;
    await Promise.all(
      Array.from({ length: Math.ceil(users / PER_PROCESS) }, (_, w) => {
        const args = ['--from', String(w * PER_PROCESS), '--to', String(Math.min(users, (w + 1) * PER_PROCESS)), '--hubs', JSON.stringify(ports), '--secret', SECRET];
        const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./idle-devices.ts', import.meta.url)), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
        workers.push(proc);
        return new Promise<void>((res, rej) => {
          proc.stdout.on('data', (d: Buffer) => String(d).includes('"connected"') && res());
          proc.once('exit', (code) => rej(new Error(`device process ${w} exited with ${code}`)));
        });
      }),
    );
    await sleep(3000);
    const masters = await be.masters();
    await resetStats(masters);
    const seconds = Number(values.seconds);
    await sleep(seconds * 1000);
    const stats = await commandStats(masters);
    const all = [...stats.values()].reduce((a, b) => a + b, 0) - (stats.get('info') ?? 0) - (stats.get('config|resetstat') ?? 0);
    const top = [...stats].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${(v / seconds).toFixed(0)}/s`);
    // By what does it: trace stream writes and reads (idle devices' clock pings), the bus (probes,
    // pings between nodes), PEXPIRE apart (per-user lease renewals before partitions; since, the
    // trace pipelines' expiry), and the rest: ownership (leases, membership: the scripts and what
    // runs inside them).
    const part = (names: string[]) => Math.round(names.reduce((n, k) => n + (stats.get(k) ?? 0), 0) / seconds);
    const trace = part(['xadd', 'xrevrange', 'xrange', 'xread']);
    const bus = part(['spublish', 'publish', 'ping', 'ssubscribe', 'subscribe']);
    const pexpire = part(['pexpire']);
    const perSec = Math.round(all / seconds);
    return {
      users,
      hubs: hubs.length,
      redis: values.redis,
      commandsPerSec: perSec,
      perThousandUsersPerSec: Math.round((all / seconds / users) * 1000),
      ownershipPerSec: perSec - trace - bus - pexpire,
      tracePerSec: trace,
      pexpirePerSec: pexpire,
      busPerSec: bus,
      top,
    };
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    for (const h of hubs) h.proc.kill('SIGKILL');
    await be.stop();
  }
}

for (const users of values.users.split(',').map(Number)) {
  process.stdout.write(`${JSON.stringify(await measure(users))}\n`);
}

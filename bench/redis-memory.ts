import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LeanDevice } from '@handoff/device-sim';
import { signToken } from '@handoff/server';
import WebSocket from 'ws';
import { backend, eachMaster, hubProcess } from './redis-kit.ts';

/**
 * Redis memory per idle user and per transfer: `hubs` hub processes on one Redis or a Redis
 * Cluster (3 masters, 3 replicas). N users with one idle device each, then M users with a phone
 * and a speaker that transfer K times each, once with nobody watching and once with a viewer
 * watching each of them from another node. Memory is read two ways on every master: the sum of
 * `MEMORY USAGE` over the users' keys (by kind of key), and the `INFO memory` used_memory delta.
 *
 *   npx tsx bench/redis-memory.ts --redis single|cluster --idle 2000 --movers 40 --transfers 10
 *   npx tsx bench/redis-memory.ts --root /path/to/another/checkout ...   (its hubs, this harness)
 */
const { values } = parseArgs({
  options: {
    redis: { type: 'string', default: 'single' },
    hubs: { type: 'string', default: '3' },
    idle: { type: 'string', default: '2000' },
    movers: { type: 'string', default: '40' },
    transfers: { type: 'string', default: '10' },
    root: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
  },
});
const SECRET = 'redis-memory-bench-secret-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = Date.now().toString(36);

/** Bytes (MEMORY USAGE) and count of the keys whose hash tag starts with `{prefix`, by kind (`session`, `trace`, ...). */
async function keyBytes(masters: number[], prefix: string): Promise<Map<string, { bytes: number; keys: number }>> {
  const byKind = new Map<string, { bytes: number; keys: number }>();
  await eachMaster(masters, async (c) => {
    let cursor = '0';
    do {
      const [next, keys] = await c.scan(cursor, 'MATCH', `*{${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const bytes = Number(await c.memory('USAGE', key, 'SAMPLES', 0));
        const kind = key.slice(0, key.indexOf(':'));
        const entry = byKind.get(kind) ?? { bytes: 0, keys: 0 };
        entry.bytes += bytes;
        entry.keys++;
        byKind.set(kind, entry);
      }
    } while (cursor !== '0');
  });
  return byKind;
}

const total = (m: Map<string, { bytes: number }>) => [...m.values()].reduce((a, b) => a + b.bytes, 0);
const usedMemory = async (masters: number[]) =>
  (await eachMaster(masters, async (c) => Number(/used_memory:(\d+)/.exec(await c.info('memory'))?.[1] ?? 0))).reduce((a, b) => a + b, 0);
const perKind = (m: Map<string, { bytes: number; keys: number }>, users: number) =>
  Object.fromEntries([...m].map(([k, v]) => [k, Math.round(v.bytes / users)]));

const be = await backend(values.redis);
const hubs = await Promise.all(Array.from({ length: Number(values.hubs) }, (_, i) => hubProcess(values.root, `mem-${i}`, { ...be.env, HUB_SECRET: SECRET })));
const devices: LeanDevice[] = [];
const viewers: WebSocket[] = [];
const url = (n: number, user: string, token: string) => `ws://127.0.0.1:${hubs[n % hubs.length]!.port}/v1/connect?access_token=${token}`;
try {
  const masters = await be.masters();
  await sleep(1000);
  const before = await usedMemory(masters);

  // Idle users: one speaker each, connected and left alone.
  const idle = Number(values.idle);
  for (let i = 0; i < idle; i += 200) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(200, idle - i) }, async (_, j) => {
        const user = `idle-${run}-${i + j}`;
        return new LeanDevice({ url: url(i + j, user, await signToken(SECRET, { userId: user, role: 'device' }, 3600)), id: `speaker-${i + j}` });
      }),
    );
    await Promise.all(batch.map((d) => d.connect()));
    devices.push(...batch);
  }
  await sleep(3000);
  // Trace writes of idle users (clock samples, heartbeats) over 5 s: none at all when nobody watches.
  await eachMaster(masters, (c) => c.config('RESETSTAT'));
  await sleep(5000);
  const xadds = (await eachMaster(masters, async (c) => Number(/cmdstat_xadd:calls=(\d+)/.exec(await c.info('commandstats'))?.[1] ?? 0))).reduce((a, b) => a + b, 0);
  const idleKeys = await keyBytes(masters, `idle-${run}-`);
  const afterIdle = await usedMemory(masters);
  process.stdout.write(
    `${JSON.stringify({ redis: values.redis, hubs: hubs.length, idleUsers: idle, bytesPerIdleUser: Math.round(total(idleKeys) / idle), byKind: perKind(idleKeys, idle), usedMemoryDeltaPerIdleUser: Math.round((afterIdle - before) / idle), xaddPerSecAtIdle: Math.round(xadds / 5) })}\n`,
  );

  // Movers: a phone and a speaker on two nodes, transferring back and forth.
  for (const watched of [false, true]) {
    const prefix = `mover-${watched ? 'w' : 'u'}-${run}-`;
    const movers = Number(values.movers);
    const transfers = Number(values.transfers);
    const pairs = await Promise.all(
      Array.from({ length: movers }, async (_, i) => {
        const user = `${prefix}${i}`;
        const token = await signToken(SECRET, { userId: user, role: 'device' }, 3600);
        const phone = new LeanDevice({ url: url(i, user, token), id: 'phone' });
        const speaker = new LeanDevice({ url: url(i + 1, user, token), id: 'speaker' });
        await phone.connect();
        await speaker.connect();
        devices.push(phone, speaker);
        if (watched) {
          const viewerToken = await signToken(SECRET, { userId: user, role: 'viewer' }, 3600);
          const ws = new WebSocket(`ws://127.0.0.1:${hubs[(i + 2) % hubs.length]!.port}/v1/trace?access_token=${viewerToken}`, { perMessageDeflate: false });
          ws.on('error', () => {});
          viewers.push(ws);
        }
        await phone.command({ type: 'command.play', commandId: `play-${i}`, deviceId: 'phone', contextUri: 'demo:album:night-drive' });
        return { phone, speaker };
      }),
    );
    await sleep(2000);
    const start = await keyBytes(masters, prefix);
    let done = 0;
    await Promise.all(
      pairs.map(async ({ phone }, i) => {
        for (let k = 0; k < transfers; k++) {
          const result = await phone.command({ type: 'command.transfer', commandId: `t-${i}-${k}`, deviceId: k % 2 === 0 ? 'speaker' : 'phone' });
          if (result.ok) done++;
        }
      }),
    );
    await sleep(2000);
    const end = await keyBytes(masters, prefix);
    const grew = new Map([...end].map(([k, v]) => [k, { bytes: v.bytes - (start.get(k)?.bytes ?? 0), keys: v.keys }]));
    process.stdout.write(
      `${JSON.stringify({ redis: values.redis, watched, users: movers, transfers: done, bytesPerTransfer: Math.round(total(grew) / Math.max(1, done)), byKind: perKind(grew, Math.max(1, done)), bytesPerUserAfter: Math.round(total(end) / movers) })}\n`,
    );
  }
} finally {
  for (const v of viewers) v.close();
  for (const d of devices) d.close();
  for (const h of hubs) h.proc.kill('SIGKILL');
  await be.stop();
}

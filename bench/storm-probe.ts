import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LeanDevice, signDeviceToken } from '@handoff/device-sim';
import { cpuSeconds } from './cpu.ts';
import { HUB_ENV } from './hub-env.ts';

/**
 * `tsx bench/storm-probe.ts [USERS] [AT_ONCE] [--floor]`: a connect storm against one hub process alone:
 * USERS households of 4 lean devices connect, AT_ONCE households at a time, and the probe prints
 * the hub's CPU per device (hello and clock burst included) and the frames each device sent and
 * got, by type. The devices run in this process; only the hub's own CPU is counted.
 */
const args = process.argv.slice(2).filter((a) => a !== '--floor');
const floor = process.argv.includes('--floor');
const users = Number(args[0] ?? 500);
const atOnce = Number(args[1] ?? 64);
const secret = 'storm-probe-secret-0123456789abcdef';
// `--floor`: the bare ws server that puts the same frames on the wire (connect-floor-server.ts) instead of the hub.
const hubScript = fileURLToPath(new URL(floor ? './connect-floor-server.ts' : './hub-process.ts', import.meta.url));
const env = {
  ...process.env,
  HUB_SECRET: secret,
  HEARTBEAT_MS: '15000',
  ...HUB_ENV,
};
const child = spawn(process.execPath, ['--import', 'tsx', ...(process.env.PROBE_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROBE_PROF}`] : []), hubScript], { env, stdio: ['pipe', 'pipe', 'inherit'] });
const lines = createInterface({ input: child.stdout });
const port = await new Promise<number>((resolve) => lines.once('line', (l) => resolve((JSON.parse(l) as { port: number }).port)));
const wsUrl = `ws://127.0.0.1:${port}/v1/connect`;
const received = new Map<string, number>();
/** Per measured device: pings heard, and the error bound of the last clock.sync. */
const pings = new Map<string, number>();
const errors = new Map<string, number>();
const onFrame = (id: string, type: string, text: string) => {
  received.set(type, (received.get(type) ?? 0) + 1);
  if (type === 'clock.ping') pings.set(id, (pings.get(id) ?? 0) + 1);
  if (type === 'clock.sync') errors.set(id, (JSON.parse(text) as { errorMs: number }).errorMs);
};
const tokens = await Promise.all(Array.from({ length: users }, (_, u) => signDeviceToken(secret, `u${u}`, 3600)));
// Warm the hub up (code paths compiled) with a few households first; not counted.
const household = async (u: number, tag: string) => {
  const url = `${wsUrl}?access_token=${tokens[u]!}`;
  const devices = Array.from({ length: 4 }, (_, i) => new LeanDevice({ url, id: `${tag}${u}-d${i}`, ...(tag === 'm' ? { onFrame: (type: string, text: string) => onFrame(`${u}-${i}`, type, text) } : {}) }));
  await Promise.all(devices.map((d) => d.connect()));
  return devices;
};
const warm = await Promise.all(Array.from({ length: Math.min(50, users) }, (_, u) => household(u, 'w')));
await new Promise((r) => setTimeout(r, 1500));
for (const h of warm) for (const d of h) d.close();
await new Promise((r) => setTimeout(r, 1500));
const cpu0 = cpuSeconds(child.pid!);
const t0 = performance.now();
const held: LeanDevice[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: atOnce }, async () => {
    while (next < users) held.push(...(await household(next++, 'm')));
  }),
);
const connectedMs = performance.now() - t0;
// Let every burst end (up to 16 pings 25 ms apart, under load longer).
await new Promise((r) => setTimeout(r, 3000));
const cpu = cpuSeconds(child.pid!) - cpu0;
const devices = users * 4;
const perType = Object.fromEntries([...received].sort((a, b) => b[1] - a[1]).map(([t, n]) => [t, Math.round((n / devices) * 100) / 100]));
const pct = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN) * 100) / 100;
};
const burst = { pingsP50: pct([...pings.values()], 0.5), pingsP99: pct([...pings.values()], 0.99), errorMsP50: pct([...errors.values()], 0.5), errorMsP99: pct([...errors.values()], 0.99), told: errors.size };
process.stdout.write(
  `${JSON.stringify({ burst, devices, connectedS: Math.round(connectedMs) / 1000, hubCpuS: cpu, hubCpuMsPerDevice: Math.round((cpu / devices) * 1e6) / 1e3, devicesPerHubCpuSec: Math.round(devices / cpu), framesToDevicePerDevice: perType })}\n`,
);
for (const d of held) d.close();
await new Promise((r) => setTimeout(r, 1000));
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
process.exit(0);

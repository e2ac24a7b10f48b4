import { LeanDevice, signDeviceToken } from '@handoff/device-sim';
import { cpuSeconds } from './cpu.ts';
import { CORES, pinned, start } from './proc.ts';
import { HUB_ENV, SECRET } from './hub-env.ts';

/**
 * `tsx bench/hold-probe.ts [DEVICES] [SECONDS] [HEARTBEAT_MS]`: what holding devices costs one
 * hub process. DEVICES lean devices (households of 4) connect to a hub of their own (its own
 * process, pinned to the server core, the benchmark's raised limits), every connect's burst is let
 * end, and then nothing happens but heartbeats for SECONDS: the probe prints the hub's CPU per
 * 1,000 devices per second held and per ping sent, and the frames each device got in the window,
 * by type. A shorter HEARTBEAT_MS (default 1000) puts more pings in the window, so the per-ping
 * figure stands above the timer ticks and the collector. `PROBE_PROF=DIR` profiles the hub.
 */
const [devicesArg = '8000', secondsArg = '30', heartbeatArg = '1000'] = process.argv.slice(2);
const devices = Math.ceil(Number(devicesArg) / 4) * 4;
const seconds = Number(secondsArg);
const heartbeatMs = Number(heartbeatArg);
const hub = start('./hub-process.ts', [], {
  core: CORES.server,
  env: {
    HUB_SECRET: SECRET,
    HEARTBEAT_MS: String(heartbeatMs),
    ...HUB_ENV,
  },
  ...(process.env.PROBE_PROF ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${process.env.PROBE_PROF}`] } : {}),
});
const { port } = await hub.next<{ port: number }>(60_000);
const url = `ws://127.0.0.1:${port}/v1/connect`;
let counting = false;
const received = new Map<string, number>();
const onFrame = (type: string) => {
  if (counting) received.set(type, (received.get(type) ?? 0) + 1);
};
const users = devices / 4;
const tokens = await Promise.all(Array.from({ length: users }, (_, u) => signDeviceToken(SECRET, `hold-${u}`, 3600)));
const held: LeanDevice[] = [];
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next < users) {
      const u = next++;
      const household = Array.from({ length: 4 }, (_, i) => new LeanDevice({ url: `${url}?access_token=${tokens[u]!}`, id: `hold-${u}-d${i}`, onFrame }));
      await Promise.all(household.map((d) => d.connect()));
      held.push(...household);
    }
  }),
);
const connectS = (performance.now() - t0) / 1000;
// Every burst over, and a few heartbeats past the connects, before the window.
await new Promise((r) => setTimeout(r, Math.max(5000, 3 * heartbeatMs)));
counting = true;
const cpu0 = cpuSeconds(hub.pid);
const w0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const cpu = cpuSeconds(hub.pid) - cpu0;
const windowS = (performance.now() - w0) / 1000;
counting = false;
const connected = held.filter((d) => d.connected).length;
const pings = received.get('clock.ping') ?? 0;
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
process.stdout.write(
  `${JSON.stringify({
    devices,
    connected,
    heartbeatMs,
    pinned,
    connectS: round(connectS, 1),
    windowS: round(windowS, 1),
    hubCpuS: cpu,
    hubCpuMsPer1000DevicePerSec: round((cpu * 1e6) / (connected * windowS), 3),
    hubCpuUsPerPing: round((cpu * 1e6) / Math.max(1, pings), 1),
    framesToDevicePerDevicePerHeartbeat: Object.fromEntries(
      [...received].sort((a, b) => b[1] - a[1]).map(([t, n]) => [t, round(n / connected / (windowS / (heartbeatMs / 1000)), 3)]),
    ),
  })}\n`,
);
for (const d of held) d.close();
await new Promise((r) => setTimeout(r, 1000));
await hub.stop();
process.exit(0);

import { readFileSync } from 'node:fs';
import { cpuSeconds } from './cpu.ts';
import { hubRtt } from './load-rtt.ts';
import { CORES, start } from './proc.ts';
import { SECRET } from './hub-env.ts';
import { startHubProcess } from './scenarios.ts';

/**
 * `tsx bench/rtt-cpu.ts [N]`: the server's CPU per command of the sequential round trip (the
 * `hub` scenario's rtt phase: 3 devices, `command.volume`, result and two pushes awaited), for the
 * hub and for the fan-out floor, from the server process's CPU time before and after, with the
 * round trip's p50/p99 beside it (the CPU includes the three devices' connect and 300 warm-up
 * commands). Alternates floor, hub, floor, hub. Run it pinned to the load core:
 * `taskset -c 1 npx tsx bench/rtt-cpu.ts`. `HUB_NODE_OPTIONS=...` is the hub's `NODE_OPTIONS`
 * (V8's heap settings, to see what its collector costs the round trip).
 */
const count = Number(process.argv[2] ?? 2000);
const spec = { warmup: 300, count };
for (let round = 0; round < 2; round++) {
  const floor = start('./fanout-server.ts', [], { core: CORES.server });
  const { port } = await floor.next<{ port: number }>(30_000);
  await report('floor', floor.pid, `ws://127.0.0.1:${port}/`);
  await floor.stop();
  const nodeOptions = process.env['HUB_NODE_OPTIONS'];
  const hub = await startHubProcess({}, nodeOptions ? { NODE_OPTIONS: nodeOptions } : {});
  await report('hub', hub.proc.pid, hub.wsUrl);
  await hub.proc.stop();
}

/** The main thread's time on a CPU and waiting for one (ns), and how often it got one, from schedstat. */
function mainThread(pid: number): [number, number, number] {
  const [run, wait, slices] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return [run!, wait!, slices!];
}

async function report(name: string, pid: number, url: string): Promise<void> {
  const cpu0 = cpuSeconds(pid);
  const main0 = mainThread(pid);
  const t0 = performance.now();
  const rtt = await hubRtt(url, SECRET, spec);
  const cpu = cpuSeconds(pid) - cpu0;
  const main1 = mainThread(pid);
  const wall = performance.now() - t0;
  const n = spec.count + spec.warmup;
  const per = (ns: number) => (ns / 1000 / n).toFixed(0);
  process.stdout.write(
    `${name.padEnd(6)} per command: ${((cpu * 1e6) / n).toFixed(0)} us server CPU (main thread ${per(main1[0] - main0[0])} us, run-queue wait ${per(main1[1] - main0[1])} us, ${((main1[2] - main0[2]) / n).toFixed(1)} slices), ${((wall * 1000) / n).toFixed(0)} us wall; rtt p50 ${rtt.p50Us.toFixed(0)} us p99 ${rtt.p99Us.toFixed(0)} us\n`,
  );
}

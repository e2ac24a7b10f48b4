import { fileURLToPath } from 'node:url';
import { parseConfig } from '@handoff/server';
import type { DriftResult, DriftSpec } from './load-drift.ts';
import type { GroupsResult } from './load-groups.ts';
import type { HandoffResult } from './load-handoff.ts';
import type { RttResult } from './load-rtt.ts';
import type { TputResult } from './load-tput.ts';
import { cpuSeconds, runQueue, treeCpuSeconds } from './cpu.ts';
import { CORES, progress, start, type Proc } from './proc.ts';
import { startSnapcast } from './snapcast.ts';
import { HUB_ENV, SECRET } from './hub-env.ts';

/** Sizes of one benchmark run. */
export interface Sizes {
  rtt: { warmup: number; count: number };
  tput: { connections: number; window: number; warmupMs: number; durationMs: number };
  handoff: { users: number; transfersPerUser: number; skewMs: number; jitterMs: number; loadDelayMs: number };
  groups: { users: number; rounds: number; skewMs: number; jitterMs: number; loadDelayMs: number };
  drift: DriftSpec;
}

export interface ServerOptions {
  /** Extra environment for hub processes. */
  hubEnv?: Record<string, string>;
  /** Directory for --cpu-prof profiles of hub processes, when profiling. */
  cpuProfDir?: string;
  /** Directory for heap snapshots of the fleet's hubs, taken with the rings filled (connections scenario). */
  heapSnapshotDir?: string;
  /** What hub processes run: the built bundle (`hub-bundle.ts`, as deployed); unset, `hub-process.ts` through tsx. */
  hubScript?: string;
}

/** Run one load process (pinned to the load core) and return its result line. */
async function load<T>(spec: Record<string, unknown>, timeoutMs = 180_000): Promise<T> {
  const proc = start('./load.ts', [JSON.stringify(spec)], { core: CORES.load });
  try {
    return await proc.next<T>(timeoutMs);
  } finally {
    await proc.stop();
  }
}

/**
 * A hub in its own process on the server core. `limits: 'raised'` (the default) lifts the per-socket
 * and per-user limits out of a load generator's way; `'defaults'` keeps them as shipped (abuse).
 */
export async function startHubProcess(
  opts: ServerOptions = {},
  env: Record<string, string> = {},
  { limits }: { limits: 'raised' | 'defaults' } = { limits: 'raised' },
): Promise<{ proc: Proc; wsUrl: string; traceUrl: string; port: number }> {
  const proc = start(opts.hubScript ?? './hub-process.ts', [], {
    core: CORES.server,
    env: { HUB_SECRET: SECRET, ...(limits === 'raised' ? HUB_ENV : {}), ...opts.hubEnv, ...env },
    ...(opts.cpuProfDir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] } : {}),
  });
  const { port } = await proc.next<{ port: number }>(180_000);
  return { proc, port, wsUrl: `ws://127.0.0.1:${port}/v1/connect`, traceUrl: `ws://127.0.0.1:${port}/v1/trace` };
}

/** The floor: bare ws echo, sequential round trip and saturated throughput. */
export async function echoScenario(sizes: Sizes): Promise<{ rtt: RttResult; tput: TputResult }> {
  const server = start('./echo-server.ts', [], { core: CORES.server });
  try {
    const { port } = await server.next<{ port: number }>(30_000);
    const url = `ws://127.0.0.1:${port}`;
    const serverPid = server.pid;
    const rtt = await load<RttResult>({ mode: 'echo-rtt', url, ...sizes.rtt });
    const tput = await load<TputResult>({ mode: 'echo-tput', url, serverPid, ...sizes.tput });
    return { rtt, tput };
  } finally {
    await server.stop();
  }
}

/**
 * The floor for the hub's shape: a bare ws server that answers a command with the hub's frames
 * (a state push to the household's three sockets and a result), measured exactly as the hub is.
 */
export async function fanoutScenario(sizes: Sizes): Promise<{ rtt: RttResult; tput: TputResult }> {
  const server = start('./fanout-server.ts', [], { core: CORES.server });
  try {
    const { port } = await server.next<{ port: number }>(30_000);
    const url = `ws://127.0.0.1:${port}/`;
    const rtt = await load<RttResult>({ mode: 'hub-rtt', url, secret: SECRET, ...sizes.rtt });
    const tput = await load<TputResult>({
      mode: 'hub-tput',
      url,
      traceUrl: url,
      secret: SECRET,
      viewers: false,
      serverPid: server.pid,
      ...sizes.tput,
    });
    return { rtt, tput };
  } finally {
    await server.stop();
  }
}

/** The hub: command round trip with fan-out, and saturated command throughput. */
export async function hubScenario(sizes: Sizes, opts: ServerOptions): Promise<{ rtt: RttResult; tput: TputResult }> {
  const hub = await startHubProcess(opts);
  try {
    const rtt = await load<RttResult>({ mode: 'hub-rtt', url: hub.wsUrl, secret: SECRET, ...sizes.rtt });
    const tput = await load<TputResult>({
      mode: 'hub-tput',
      url: hub.wsUrl,
      traceUrl: hub.traceUrl,
      secret: SECRET,
      viewers: false,
      serverPid: hub.proc.pid,
      ...sizes.tput,
    });
    return { rtt, tput };
  } finally {
    await hub.proc.stop();
  }
}

/** The hub's throughput with a trace viewer on every user. */
export async function viewerScenario(sizes: Sizes, opts: ServerOptions): Promise<TputResult> {
  const hub = await startHubProcess(opts);
  try {
    return await load<TputResult>({
      mode: 'hub-tput',
      url: hub.wsUrl,
      traceUrl: hub.traceUrl,
      secret: SECRET,
      viewers: true,
      serverPid: hub.proc.pid,
      ...sizes.tput,
    });
  } finally {
    await hub.proc.stop();
  }
}

/** Snapcast's SetVolume with notifications to two other control clients: round trip, and saturated throughput. */
export async function snapcastScenario(sizes: Sizes): Promise<{ rtt: RttResult; tput: TputResult }> {
  const peer = await startSnapcast();
  try {
    const rtt = await load<RttResult>({ mode: 'snapcast-rtt', url: peer.url, clientId: peer.clientId, ...sizes.rtt });
    const tput = await load<TputResult>({ mode: 'snapcast-tput', url: peer.url, clientId: peer.clientId, serverPid: peer.serverPid, ...sizes.tput });
    return { rtt, tput };
  } finally {
    await peer.stop();
  }
}

/** Real handoffs between SimDevices with skewed clocks and jitter. */
export async function handoffScenario(sizes: Sizes, opts: ServerOptions): Promise<HandoffResult> {
  const hub = await startHubProcess(opts);
  try {
    return await load<HandoffResult>({ mode: 'handoff', url: hub.wsUrl, secret: SECRET, ...sizes.handoff });
  } finally {
    await hub.proc.stop();
  }
}

/**
 * Groups of SimDevices: start skew at each group start and the error of a member joining
 * mid-track; then drift, on a hub whose heartbeat is as much faster as the simulated clocks are
 * (load-drift.ts says why that keeps the run honest).
 */
export async function groupsScenario(sizes: Sizes, opts: ServerOptions): Promise<GroupsResult & { drift: DriftResult }> {
  const hub = await startHubProcess(opts);
  let starts: GroupsResult;
  try {
    starts = await load<GroupsResult>({ mode: 'groups', url: hub.wsUrl, secret: SECRET, ...sizes.groups });
  } finally {
    await hub.proc.stop();
  }
  const spec = sizes.drift;
  const defaults = parseConfig({});
  const fast = await startHubProcess(opts, {
    HEARTBEAT_MS: String(Math.round(defaults.HEARTBEAT_MS / spec.speedup)),
    CLOCK_MAX_DRIFT_PPM: String(defaults.CLOCK_MAX_DRIFT_PPM * spec.speedup),
  });
  try {
    const runMs = (spec.minutes * 60_000) / spec.speedup;
    const drift = await load<DriftResult>({ mode: 'drift', url: fast.wsUrl, secret: SECRET, ...spec }, runMs + 120_000);
    return { ...starts, drift };
  } finally {
    await fast.proc.stop();
  }
}

export interface ConnectionsResult {
  held: number;
  hubProcesses: number;
  /** The hubs' RSS growth from idle, after the transfers (trace rings filled), over the devices connected at that moment. Target: 12. */
  hubRssPerConnKB: number;
  /** The same right after the fleet connected, over the devices connected then. */
  hubRssPerConnKBConnected: number;
  /** The hubs' live heap growth from idle (after a full GC), read with `hubRssPerConnKB`: what the hub holds per connection, without V8's slack. */
  hubHeapPerConnKB: number;
  /** Devices connected when the connect phase ended (all, unless the connect deadline passed first). */
  connectedAtStart: number;
  transfersPerSec: number;
  transferP99Ms: number;
  transferTotalP99Ms: number;
  transferP50Ms: number;
  fleetProcesses: number;
  connectS: number;
  /** New devices (hello and clock burst included) accepted per second per hub process during the connect phase. Target: 2,000. */
  connectsPerSecPerHub: number;
  /**
   * New devices per CPU-second the hubs spent in the connect phase: what one hub process accepts
   * per second with a core to itself, whichever side set the pace of this run.
   */
  connectsPerHubCpuSec: number;
  /** Sockets each fleet process had opening at once, and one connect's time from socket to welcome. */
  connectConcurrency: number;
  connectLatencyP50Ms: number;
  connectLatencyP99Ms: number;
  /** Connections the hubs closed during the run, by close code and reason (the fleet connected each again). */
  lost: Record<string, number>;
  errors: Record<string, number>;
  /** Shards of the fleet that failed, with why (the rest of the figures are from the others). */
  failures: string[];
  /**
   * Each phase's wall time and the CPU-seconds each side used in it: all hub processes (core 0),
   * the fleet and its workers (core 1). A side near `wallS` CPU-seconds had its core to itself
   * and was the limit.
   */
  phases: Record<'connect' | 'transfers' | 'close', PhaseCpu>;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Connections each fleet process opens at once (each until its welcome). */
const FLEET_CONNECT_CONCURRENCY = 256;

export interface PhaseCpu {
  wallS: number;
  hubsCpuS: number;
  fleetCpuS: number;
  /**
   * Seconds the hubs' main threads spent runnable but waiting for a core (schedstat), summed: a
   * hub that reads low on CPU while this is high was starved, not idle.
   */
  hubsRunWaitS: number;
}

/**
 * The big fleet: `devices` lean devices (4 per user) over as many hub processes as the 20,000
 * open-file limit needs, driven by the fleet CLI (which spreads itself over processes and
 * loopback source addresses). RSS per connection is the hubs' growth from idle to holding the
 * fleet after the transfers (trace rings filled), over the connections held.
 */
export async function connectionsScenario(
  o: { devices: number; transfersPerSec: number; durationS: number; perHub: number; connectDeadlineS: number },
  opts: ServerOptions,
): Promise<ConnectionsResult> {
  const devicesPerUser = 4;
  const users = Math.max(1, Math.round(o.devices / devicesPerUser));
  const hubCount = Math.max(1, Math.ceil((users * devicesPerUser) / o.perHub));
  // A sweep every 15 s (Spotify's dealer pings every 30 s): at 100k devices, 6.7k pings/s.
  const hubs = await Promise.all(Array.from({ length: hubCount }, () => startHubProcess(opts, { HEARTBEAT_MS: '15000' })));
  progress(`  ${hubCount} hub process(es) configured for a load test: ${Object.entries(HUB_ENV).map(([k, v]) => `${k}=${v}`).join(' ')} HEARTBEAT_MS=15000`);
  await new Promise((r) => setTimeout(r, 500));
  const heaps = () =>
    Promise.all(
      hubs.map((h) => {
        h.proc.child.stdin!.write('heap\n');
        return h.proc.next<{ heapUsed: number }>(60_000).then((m) => m.heapUsed);
      }),
    );
  // What each hub holds, for a heap profiler; the fleet waits meanwhile (the hub's loop stops while it writes).
  const snapshots = (dir: string) =>
    Promise.all(
      hubs.map((h, i) => {
        h.proc.child.stdin!.write(`snapshot ${dir}/hub-${i}.heapsnapshot\n`);
        return h.proc.next<{ snapshot: string }>(300_000).then((m) => progress(`  heap snapshot: ${m.snapshot}`));
      }),
    );
  const idle = hubs.map((h) => h.proc.rssBytes());
  const idleHeap = await heaps();
  const cli = fileURLToPath(new URL('../device-sim/src/cli.ts', import.meta.url));
  const fleet = start(
    cli,
    [
      'fleet',
      '--hub',
      hubs.map((h) => h.wsUrl).join(','),
      '--secret',
      SECRET,
      '--users',
      String(users),
      '--devices-per-user',
      String(devicesPerUser),
      '--transfers-per-sec',
      String(o.transfersPerSec),
      '--duration',
      String(o.durationS),
      '--per-process',
      '18000',
      '--hold-ms',
      '1500',
      '--connect-deadline',
      String(o.connectDeadlineS),
      // Enough sockets opening at once that the fleet never waits on a connect's round trip.
      '--connect-concurrency',
      String(FLEET_CONNECT_CONCURRENCY),
      '--json',
    ],
    // Profiling: the fleet and its workers (which inherit the flags) too, into DIR/fleet.
    { core: CORES.load, stderr: 'inherit', ...(opts.cpuProfDir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}/fleet`] } : {}) },
  );
  // A fleet that already exited (after its summary) reads as 0: it used at least what it had at the last reading.
  let fleetCpu = 0;
  const sample = () => {
    fleetCpu = Math.max(fleetCpu, treeCpuSeconds(fleet.pid));
    return {
      at: performance.now(),
      hubs: hubs.reduce((sum, h) => sum + cpuSeconds(h.proc.pid), 0),
      hubsWait: hubs.reduce((sum, h) => sum + runQueue(h.proc.pid).waitMs / 1000, 0),
      fleet: fleetCpu,
    };
  };
  const phase = (from: ReturnType<typeof sample>, to: ReturnType<typeof sample>): PhaseCpu => ({
    wallS: round2((to.at - from.at) / 1000),
    hubsCpuS: round2(to.hubs - from.hubs),
    fleetCpuS: round2(to.fleet - from.fleet),
    hubsRunWaitS: round2(to.hubsWait - from.hubsWait),
  });
  const said = (name: string, p: PhaseCpu) =>
    progress(`  ${name}: ${p.wallS} s; CPU-seconds: hubs ${p.hubsCpuS} (${round2(p.hubsCpuS / p.wallS)} of a core), fleet ${p.fleetCpuS} (${round2(p.fleetCpuS / p.wallS)}); hubs waited for a core ${p.hubsRunWaitS} s`);
  const t0 = sample();
  try {
    const timeout = 120_000 + users * devicesPerUser * 60 + o.durationS * 1000;
    const connected = await fleet.next<{ held: number }>(timeout);
    const t1 = sample();
    const grownConnected = hubs.reduce((sum, h, i) => sum + (h.proc.rssBytes() - idle[i]!), 0);
    progress(`  fleet: ${connected.held} of ${users * devicesPerUser} devices connected; transfers for ${o.durationS} s`);
    said('connect', phase(t0, t1));
    // Transfers done; the fleet holds its connections for a moment.
    const { held } = await fleet.next<{ held: number }>(timeout);
    const t2 = sample();
    said('transfers', phase(t1, t2));
    await new Promise((r) => setTimeout(r, 1000));
    const grown = hubs.reduce((sum, h, i) => sum + (h.proc.rssBytes() - idle[i]!), 0);
    const heapGrown = (await heaps()).reduce((sum, used, i) => sum + (used - idleHeap[i]!), 0);
    if (opts.heapSnapshotDir) await snapshots(opts.heapSnapshotDir);
    const s = await fleet.next<{
      held: number;
      processes: number;
      connectS: number;
      connectConcurrency: number;
      connectLatency: { p50Ms: number; p99Ms: number };
      transfers: { perSec: number; p50Ms: number; p99Ms: number; totalP99Ms: number };
      errors: Record<string, number>;
      lost?: Record<string, number>;
      failures?: string[];
    }>(timeout);
    const t3 = sample();
    return {
      held: s.held,
      hubProcesses: hubCount,
      hubRssPerConnKB: grown / Math.max(1, held) / 1024,
      hubRssPerConnKBConnected: grownConnected / Math.max(1, connected.held) / 1024,
      hubHeapPerConnKB: round2(heapGrown / Math.max(1, held) / 1024),
      connectedAtStart: connected.held,
      transfersPerSec: s.transfers.perSec,
      transferP50Ms: s.transfers.p50Ms,
      transferP99Ms: s.transfers.p99Ms,
      transferTotalP99Ms: s.transfers.totalP99Ms,
      fleetProcesses: s.processes,
      connectS: s.connectS,
      connectsPerSecPerHub: round2(connected.held / hubCount / Math.max(0.001, s.connectS)),
      connectsPerHubCpuSec: round2(connected.held / Math.max(0.001, t1.hubs - t0.hubs)),
      connectConcurrency: s.connectConcurrency,
      connectLatencyP50Ms: s.connectLatency.p50Ms,
      connectLatencyP99Ms: s.connectLatency.p99Ms,
      lost: s.lost ?? {},
      errors: s.errors,
      failures: s.failures ?? [],
      phases: { connect: phase(t0, t1), transfers: phase(t1, t2), close: phase(t2, t3) },
    };
  } finally {
    await fleet.stop();
    await Promise.all(hubs.map((h) => h.proc.stop()));
  }
}

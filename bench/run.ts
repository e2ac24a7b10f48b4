import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AbuseResult } from './abuse.ts';
import { ABUSE_OPTIONS, ABUSE_USAGE, abuseSizes as sizesOfAbuse, runAbuse } from './abuse-cli.ts';
import { buildHubBundle } from './hub-bundle.ts';
import { pinned, progress, stopAll } from './proc.ts';
import {
  connectionsScenario,
  echoScenario,
  fanoutScenario,
  groupsScenario,
  handoffScenario,
  hubScenario,
  snapcastScenario,
  viewerScenario,
  type ServerOptions,
  type Sizes,
} from './scenarios.ts';
import { snapcastInstalled } from './snapcast.ts';
import { median, round } from './stats.ts';
import { report } from './report.ts';

const USAGE = `usage: npm run bench -- [--quick] [--runs N] [--connections N] [--json]
  --quick            small sizes, for a fast look (about a minute)
  --smoke            tiny sizes: checks that every scenario runs, measures nothing worth reading
  --out FILE         where to write the results (default bench/results/latest.json)
  --runs N           runs of every scenario; medians are reported (default 3)
  --connections N    devices in the big fleet run (default 2000, quick 400; 100000 on request)
  --transfers-per-sec R, --fleet-duration S   the fleet run's load (default 100/s for 10 s; 1000/s at 100k)
  --connect-deadline S   the fleet opens no new connections after S s and goes on with those held (default 300)
  --only a,b         run only these scenarios: echo, fanout, hub, viewers, snapcast, handoff, groups, connections, abuse
${ABUSE_USAGE}
  --cpu-prof DIR     write a CPU profile of every hub process into DIR (and of the fleet into DIR/fleet)
  --heap-snapshot DIR   connections: a heap snapshot of every hub into DIR, taken after the transfers (rings filled)
  --hub-source       run the hubs from their TypeScript through tsx (default: the bundle as built for production)
  --hub-env K=V,...  settings for every hub process (e.g. USER_FRAMES_PER_TURN=16), to compare one against its default
  --json             print the results object as the last stdout line`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    runs: { type: 'string' },
    connections: { type: 'string' },
    'transfers-per-sec': { type: 'string' },
    'fleet-duration': { type: 'string' },
    'connect-deadline': { type: 'string' },
    ...ABUSE_OPTIONS,
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'heap-snapshot': { type: 'string' },
    'hub-env': { type: 'string' },
    'hub-source': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stderr.write(USAGE + '\n');
  process.exit(0);
}
const positive = (v: string | undefined, name: string, fallback: number) => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a positive integer\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
};
const smoke = values.smoke;
const quick = values.quick || smoke;
const runs = positive(values.runs, 'runs', smoke ? 1 : 3);
const connections = positive(values.connections, 'connections', smoke ? 40 : quick ? 400 : 2000);
const big = connections >= 20_000;
const fleetRate = positive(values['transfers-per-sec'], 'transfers-per-sec', big ? 1000 : smoke ? 5 : quick ? 20 : 100);
const connectDeadline = positive(values['connect-deadline'], 'connect-deadline', 300);
const fleetDuration = positive(values['fleet-duration'], 'fleet-duration', big ? 30 : smoke ? 2 : quick ? 4 : 10);
const ALL = ['echo', 'fanout', 'hub', 'viewers', 'snapcast', 'handoff', 'groups', 'connections', 'abuse'] as const;
const only = new Set(values.only ? values.only.split(',') : ALL);
for (const s of only)
  if (!(ALL as readonly string[]).includes(s)) {
    process.stderr.write(`unknown scenario "${s}": use ${ALL.join(', ')}\n`);
    process.exit(2);
  }

const sizes: Sizes = smoke
  ? {
      rtt: { warmup: 20, count: 50 },
      tput: { connections: 2, window: 2, warmupMs: 300, durationMs: 1000 },
      handoff: { users: 1, transfersPerUser: 2, skewMs: 2000, jitterMs: 20, loadDelayMs: 50 },
      groups: { users: 1, rounds: 1, skewMs: 2000, jitterMs: 20, loadDelayMs: 50 },
      drift: { users: 1, minutes: 1, speedup: 10, maxPpm: 100, skewMs: 2000, jitterMs: 20, loadDelayMs: 50 },
    }
  : quick
    ? {
        rtt: { warmup: 200, count: 600 },
        tput: { connections: 16, window: 8, warmupMs: 500, durationMs: 1500 },
        handoff: { users: 2, transfersPerUser: 6, skewMs: 2000, jitterMs: 20, loadDelayMs: 50 },
        groups: { users: 2, rounds: 4, skewMs: 2000, jitterMs: 20, loadDelayMs: 50 },
        drift: { users: 2, minutes: 3, speedup: 10, maxPpm: 100, skewMs: 2000, jitterMs: 20, loadDelayMs: 50 },
      }
    : {
        rtt: { warmup: 500, count: 2000 },
        tput: { connections: 32, window: 8, warmupMs: 1000, durationMs: 3000 },
        handoff: { users: 3, transfersPerUser: 12, skewMs: 2000, jitterMs: 20, loadDelayMs: 50 },
        groups: { users: 3, rounds: 10, skewMs: 2000, jitterMs: 20, loadDelayMs: 50 },
        // 10 minutes of playback at 10x: 60 s, drift up to +-1000 ppm, a 500 ms heartbeat (load-drift.ts).
        drift: { users: 3, minutes: 10, speedup: 10, maxPpm: 100, skewMs: 2000, jitterMs: 20, loadDelayMs: 50 },
      };
const abuseSizes = sizesOfAbuse(values, smoke ? 'smoke' : quick ? 'quick' : 'full', positive, (message) => {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
});
const hubEnv = Object.fromEntries(
  (values['hub-env'] ?? '')
    .split(',')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
);
if (values['heap-snapshot']) mkdirSync(values['heap-snapshot'], { recursive: true });
const opts: ServerOptions = {
  ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
  ...(values['heap-snapshot'] ? { heapSnapshotDir: resolve(values['heap-snapshot']) } : {}),
  ...(Object.keys(hubEnv).length > 0 ? { hubEnv } : {}),
  // The hub as it ships (no tsx loader, no kept function names), built once for this run.
  ...(values['hub-source'] ? {} : { hubScript: await buildHubBundle() }),
};

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopAll();
    process.exit(130);
  });
}

const notes: string[] = [];
if (!pinned) notes.push('taskset not found: processes were not pinned to cores');
if (!opts.hubScript) notes.push('hubs run from their TypeScript through tsx (--hub-source), not from the production bundle');
if (opts.hubEnv) notes.push(`hub settings changed from their defaults: ${Object.entries(opts.hubEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`);
const withSnapcast = only.has('snapcast') && snapcastInstalled();
if (only.has('snapcast') && !withSnapcast)
  notes.push('peers.snapcast skipped: snapserver/snapclient not installed (apt-get install snapserver snapclient)');

type Run = Partial<{
  echoRtt: { p50Us: number; p99Us: number };
  hubRtt: { p50Us: number; p99Us: number };
  fanoutRtt: { p50Us: number; p99Us: number };
  echoTput: number;
  fanoutTput: number;
  hubTput: number;
  viewerTput: number;
  /** Share of a core used by server and load during each throughput window. */
  cpu: Record<string, { server: number; load: number }>;
  snapcast: { p50Us: number; p99Us: number };
  snapcastTput: number;
  handoff: Awaited<ReturnType<typeof handoffScenario>>;
  groups: Awaited<ReturnType<typeof groupsScenario>>;
}>;
const all: Run[] = [];
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)}s`;

// Every scenario once per run, runs one after another, so noise from the machine spreads over all of them.
for (let r = 1; r <= runs; r++) {
  const run: Run = { cpu: {} };
  const cpu = (name: string, t: { serverCpu: number; loadCpu: number }) => {
    run.cpu![name] = { server: round(t.serverCpu), load: round(t.loadCpu) };
    return `(cpu: server ${round(t.serverCpu)}, load ${round(t.loadCpu)})`;
  };
  const step = async (name: string, fn: () => Promise<void>) => {
    progress(`[${elapsed()}] run ${r}/${runs}: ${name}`);
    try {
      await fn();
    } catch (err) {
      notes.push(`run ${r} ${name} failed: ${(err as Error).message.split('\n')[0]}`);
      progress(`  failed: ${(err as Error).message}`);
    }
  };
  if (only.has('echo'))
    await step('bare ws echo', async () => {
      const e = await echoScenario(sizes);
      run.echoRtt = e.rtt;
      run.echoTput = e.tput.perSec;
      progress(
        `  echo rtt p50 ${round(e.rtt.p50Us)} us p99 ${round(e.rtt.p99Us)} us; ${round(e.tput.perSec, 0)} msgs/s ${cpu('echo', e.tput)}`,
      );
    });
  if (only.has('fanout'))
    await step("bare ws fan-out (the hub's frames, no logic)", async () => {
      const f = await fanoutScenario(sizes);
      run.fanoutRtt = f.rtt;
      run.fanoutTput = f.tput.perSec;
      progress(
        `  fan-out rtt p50 ${round(f.rtt.p50Us)} us p99 ${round(f.rtt.p99Us)} us; ${round(f.tput.perSec, 0)} cmds/s ${cpu('fanout', f.tput)}`,
      );
    });
  if (only.has('hub'))
    await step('hub', async () => {
      const h = await hubScenario(sizes, opts);
      run.hubRtt = h.rtt;
      run.hubTput = h.tput.perSec;
      progress(
        `  hub rtt p50 ${round(h.rtt.p50Us)} us p99 ${round(h.rtt.p99Us)} us; ${round(h.tput.perSec, 0)} cmds/s ${cpu('hub', h.tput)}`,
      );
    });
  if (only.has('viewers'))
    await step('hub with a viewer on every user', async () => {
      const v = await viewerScenario(sizes, opts);
      run.viewerTput = v.perSec;
      progress(`  ${round(v.perSec, 0)} cmds/s with viewers (${v.viewerFrames ?? 0} trace frames) ${cpu('viewers', v)}`);
    });
  if (withSnapcast)
    await step('snapcast', async () => {
      const s = await snapcastScenario(sizes);
      run.snapcast = { p50Us: s.rtt.p50Us, p99Us: s.rtt.p99Us };
      run.snapcastTput = s.tput.perSec;
      progress(`  snapcast rtt p50 ${round(s.rtt.p50Us)} us p99 ${round(s.rtt.p99Us)} us; ${round(s.tput.perSec, 0)} cmds/s ${cpu('snapcast', s.tput)}`);
    });
  if (only.has('handoff'))
    await step('handoffs', async () => {
      run.handoff = await handoffScenario(sizes, opts);
      const h = run.handoff;
      progress(
        `  ${h.count} handoffs: gap p99 ${round(h.gapP99Ms)} ms, overlap p99 ${round(h.overlapP99Ms)} ms, position error p99 ${round(h.positionErrorP99Ms)} ms`,
      );
    });
  if (only.has('groups'))
    await step('groups', async () => {
      run.groups = await groupsScenario(sizes, opts);
      const g = run.groups;
      progress(`  ${g.count} group starts: start skew p99 ${round(g.startSkewP99Ms)} ms (clock estimates' spread p99 ${round(g.estimateSpreadP99Ms)} ms), join error p99 ${round(g.joinErrorP99Ms)} ms, ${g.failed} failed`);
      const d = g.drift;
      progress(
        `  drift (${sizes.drift.minutes} min at ${sizes.drift.speedup}x, +-${sizes.drift.maxPpm} ppm): ${d.samples} samples, inter-member error p99 ${round(d.driftErrorP99Ms)} ms (max ${round(d.driftErrorMaxMs)}, last minute p99 ${round(d.lastMinuteP99Ms)}), ${d.silent} silent, ${d.failed} failed`,
      );
    });
  all.push(run);
}

let conn: Awaited<ReturnType<typeof connectionsScenario>> | undefined;
if (only.has('connections')) {
  progress(`[${elapsed()}] fleet: ${connections} devices, ${fleetRate} transfers/s for ${fleetDuration} s`);
  try {
    conn = await connectionsScenario(
      { devices: connections, transfersPerSec: fleetRate, durationS: fleetDuration, perHub: 18_000, connectDeadlineS: connectDeadline },
      opts,
    );
    for (const f of conn.failures) notes.push(`fleet shard failed: ${f}`);
  } catch (err) {
    notes.push(`connections failed: ${(err as Error).message.split('\n')[0]}`);
    progress(`  failed: ${(err as Error).message}`);
  }
}

let abuse: AbuseResult | undefined;
if (only.has('abuse')) {
  progress(`[${elapsed()}] abuse: one user's flood against another user's latency (${abuseSizes.phaseMs / 1000} s per phase)`);
  abuse = await runAbuse(abuseSizes, opts, notes);
}

const med = (pick: (r: Run) => number | undefined) => round(median(all.map(pick).filter((v): v is number => v !== undefined)));
/**
 * A ratio is taken within each run (its scenarios ran minutes apart at most, not a run apart), then
 * the median over runs: on a machine whose speed drifts between runs, a ratio of medians can pair
 * a fast run's echo with a slow run's hub.
 */
const ratio = (top: (r: Run) => number | undefined, bottom: (r: Run) => number | undefined) =>
  med((r) => {
    const a = top(r);
    const b = bottom(r);
    return a !== undefined && b ? a / b : undefined;
  });
const cpuRate = (name: string, pick: (r: Run) => number | undefined) => (r: Run) => {
  const v = pick(r);
  const used = r.cpu?.[name]?.server;
  return v !== undefined && used ? v / used : undefined;
};
const echoRttP50Us = med((r) => r.echoRtt?.p50Us);
const echoRttP99Us = med((r) => r.echoRtt?.p99Us);
const hubRttP50Us = med((r) => r.hubRtt?.p50Us);
const hubRttP99Us = med((r) => r.hubRtt?.p99Us);
const fanoutRttP50Us = med((r) => r.fanoutRtt?.p50Us);
const fanoutRttP99Us = med((r) => r.fanoutRtt?.p99Us);
const echoMsgsPerSec = med((r) => r.echoTput);
const fanoutCmdsPerSec = med((r) => r.fanoutTput);
const hubCmdsPerSec = med((r) => r.hubTput);
const viewerCmdsPerSec = med((r) => r.viewerTput);
// Per CPU-second of the server: less sensitive to other processes taking the server's core away.
const perCpu = (name: string, pick: (r: Run) => number | undefined) => med((r) => cpuRate(name, pick)(r));
const echoMsgsPerCpuSec = perCpu('echo', (r) => r.echoTput);
const hubCmdsPerCpuSec = perCpu('hub', (r) => r.hubTput);
const fanoutCmdsPerCpuSec = perCpu('fanout', (r) => r.fanoutTput);
const viewerCmdsPerCpuSec = perCpu('viewers', (r) => r.viewerTput);
const handoffs = all.map((r) => r.handoff).filter((h) => h !== undefined);
const groupRuns = all.map((r) => r.groups).filter((g) => g !== undefined);
const results = {
  echoRttP50Us,
  echoRttP99Us,
  hubRttP50Us,
  hubRttP99Us,
  rttRatioP50: ratio((r) => r.hubRtt?.p50Us, (r) => r.echoRtt?.p50Us),
  rttRatioP99: ratio((r) => r.hubRtt?.p99Us, (r) => r.echoRtt?.p99Us),
  echoMsgsPerSec,
  hubCmdsPerSec,
  throughputRatio: ratio((r) => r.hubTput, (r) => r.echoTput),
  fanout: {
    rttP50Us: fanoutRttP50Us,
    rttP99Us: fanoutRttP99Us,
    cmdsPerSec: fanoutCmdsPerSec,
    cmdsPerCpuSec: fanoutCmdsPerCpuSec,
    /** How far the bare fan-out is from the echo: the part of each ratio the command's shape costs. */
    rttRatioP50: ratio((r) => r.fanoutRtt?.p50Us, (r) => r.echoRtt?.p50Us),
    rttRatioP99: ratio((r) => r.fanoutRtt?.p99Us, (r) => r.echoRtt?.p99Us),
    throughputRatio: ratio((r) => r.fanoutTput, (r) => r.echoTput),
    /** The hub against it: the part the hub's own work costs. */
    hubRttP50: ratio((r) => r.hubRtt?.p50Us, (r) => r.fanoutRtt?.p50Us),
    hubRttP99: ratio((r) => r.hubRtt?.p99Us, (r) => r.fanoutRtt?.p99Us),
    hubThroughput: ratio((r) => r.hubTput, (r) => r.fanoutTput),
  },
  handoff: {
    count: handoffs.reduce((a, h) => a + h.count, 0),
    p50Ms: round(median(handoffs.map((h) => h.p50Ms))),
    p99Ms: round(median(handoffs.map((h) => h.p99Ms))),
    gapP99Ms: round(median(handoffs.map((h) => h.gapP99Ms))),
    overlapP99Ms: round(median(handoffs.map((h) => h.overlapP99Ms))),
    positionErrorP99Ms: round(median(handoffs.map((h) => h.positionErrorP99Ms))),
    failed: handoffs.reduce((a, h) => a + h.failed, 0),
  },
  groups: {
    count: groupRuns.reduce((a, g) => a + g.count, 0),
    startSkewP99Ms: round(median(groupRuns.map((g) => g.startSkewP99Ms))),
    estimateSpreadP99Ms: round(median(groupRuns.map((g) => g.estimateSpreadP99Ms))),
    joinErrorP99Ms: round(median(groupRuns.map((g) => g.joinErrorP99Ms))),
    /** Members' spread on the true clock over 10 simulated minutes at up to +-100 ppm (load-drift.ts). */
    driftErrorP99Ms: round(median(groupRuns.map((g) => g.drift.driftErrorP99Ms))),
    driftErrorMaxMs: round(median(groupRuns.map((g) => g.drift.driftErrorMaxMs))),
    driftLastMinuteP99Ms: round(median(groupRuns.map((g) => g.drift.lastMinuteP99Ms))),
    driftSamples: groupRuns.reduce((a, g) => a + g.drift.samples, 0),
    failed: groupRuns.reduce((a, g) => a + g.failed + g.drift.failed, 0),
  },
  connections: conn
    ? { ...conn, hubRssPerConnKB: round(conn.hubRssPerConnKB), hubRssPerConnKBConnected: round(conn.hubRssPerConnKBConnected), transferP99Ms: round(conn.transferP99Ms) }
    : null,
  abuse: abuse ?? null,
  traceOverheadRatio: ratio((r) => r.viewerTput, (r) => r.hubTput),
  viewerCmdsPerSec,
  echoMsgsPerCpuSec,
  hubCmdsPerCpuSec,
  viewerCmdsPerCpuSec,
  throughputRatioPerCpu: ratio(cpuRate('hub', (r) => r.hubTput), cpuRate('echo', (r) => r.echoTput)),
  traceOverheadRatioPerCpu: ratio(cpuRate('viewers', (r) => r.viewerTput), cpuRate('hub', (r) => r.hubTput)),
  peers: withSnapcast
    ? {
        snapcast: {
          rttP50Us: med((r) => r.snapcast?.p50Us),
          rttP99Us: med((r) => r.snapcast?.p99Us),
          rttRatioP50: ratio((r) => r.snapcast?.p50Us, (r) => r.echoRtt?.p50Us),
          rttRatioP99: ratio((r) => r.snapcast?.p99Us, (r) => r.echoRtt?.p99Us),
          cmdsPerSec: med((r) => r.snapcastTput),
          /** Hub / Snapcast commands per second, within each run. Target: at least 1. */
          hubThroughput: ratio((r) => r.hubTput, (r) => r.snapcastTput),
        },
      }
    : {},
  runs,
  perRun: all,
  sizes: { ...sizes, abuse: abuseSizes, connections, fleetTransfersPerSec: fleetRate, fleetDurationS: fleetDuration },
  env: {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
    pinned,
    loadAvg1m: round(loadavg()[0] ?? NaN),
    durationS: round((performance.now() - started) / 1000, 1),
  },
  notes,
};

const out = values.out ? resolve(values.out) : fileURLToPath(new URL('./results/latest.json', import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
process.stdout.write(report(results) + '\n');
if (values.json) process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);


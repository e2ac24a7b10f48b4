import { parseArgs } from 'node:util';
import { percentile } from './handoff.ts';
import { deviceSocketUrl } from './hub-url.ts';
import type { ShardMessage, ShardOptions, ShardResult } from './fleet-shard.ts';
import { inProcess, runWorker, spawnWorker } from './fleet-worker.ts';

const USAGE = `usage: npm run sim -- fleet --hub URL[,URL...] --users N --devices-per-user M
         --transfers-per-sec R --duration S [options]
  --secret S            the hub's HUB_SECRET, to sign device tokens here (or env HUB_SECRET)
  --skew-ms X           device clocks off by up to +-X ms          (default 0)
  --jitter-ms Y         each way, 0..Y ms more delay per message    (default 0)
  --drop-rate P         chance per second per device of a dropped connection (default 0)
  --load-ms L           how long a device takes to prepare          (default 0)
  --per-process N       devices per process; more spawn workers      (default 18000)
  --hold-ms H           keep the fleet connected this long after the transfers (default 0)
  --connect-deadline S  open no new connections after S seconds; go on with those held (default 0: none)
  --connect-concurrency C  connections each process opens at once, each until its welcome (default 64)
  --json                the summary as JSON on the last stdout line
Users are spread over the hubs (user u on hub u mod count). Past --per-process devices the fleet
runs in several processes, each from its own loopback source address (127.0.0.2, .3, ...), since
one address has ~28k ports and a process may hold 20,000 files.`;

export interface FleetSummary {
  users: number;
  devices: number;
  held: number;
  processes: number;
  connectS: number;
  /** Connections each process opened at once, and how long one took from its socket to its welcome. */
  connectConcurrency: number;
  connectLatency: { p50Ms: number; p99Ms: number };
  transfers: {
    sent: number;
    ok: number;
    failed: number;
    perSec: number;
    p50Ms: number;
    p99Ms: number;
    totalP50Ms: number;
    totalP99Ms: number;
  };
  errors: Record<string, number>;
  reconnects: number;
  /** Connections the hub closed during the run, by close code and reason (each device connected again). */
  lost: Record<string, number>;
  connectFailed: number;
  /** Shards that failed (a worker died or threw), with why; their devices count as not held. */
  failures: string[];
}

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      hub: { type: 'string' },
      secret: { type: 'string' },
      users: { type: 'string', default: '10' },
      'devices-per-user': { type: 'string', default: '3' },
      'transfers-per-sec': { type: 'string', default: '10' },
      duration: { type: 'string', default: '10' },
      'skew-ms': { type: 'string', default: '0' },
      'jitter-ms': { type: 'string', default: '0' },
      'drop-rate': { type: 'string', default: '0' },
      'load-ms': { type: 'string', default: '0' },
      'per-process': { type: 'string', default: '18000' },
      'hold-ms': { type: 'string', default: '0' },
      'connect-deadline': { type: 'string', default: '0' },
      'connect-concurrency': { type: 'string', default: '64' },
      'user-prefix': { type: 'string', default: 'fleet-' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
      // Internal: run as one worker of a fleet.
      shard: { type: 'string' },
      shards: { type: 'string' },
      'local-address': { type: 'string' },
    },
  });
  if (values.help) {
    process.stderr.write(USAGE + '\n');
    process.exit(0);
  }
  const num = (name: keyof typeof values, min: number, max = Infinity) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}\n${USAGE}`);
    return n;
  };
  if (!values.hub) throw new Error(`--hub is required\n${USAGE}`);
  const secret = values.secret ?? process.env.HUB_SECRET;
  if (!secret) throw new Error('--secret (or env HUB_SECRET) is required: the fleet signs its own device tokens');
  const opts: ShardOptions = {
    hubs: values.hub.split(',').map(deviceSocketUrl),
    secret,
    users: num('users', 1),
    devicesPerUser: num('devices-per-user', 1, 50),
    shard: values.shard ? Number(values.shard) : 0,
    shards: values.shards ? Number(values.shards) : 1,
    // Each worker issues its share of the fleet's rate.
    transfersPerSec: num('transfers-per-sec', 0) / (values.shards ? Number(values.shards) : 1),
    durationS: num('duration', 0),
    skewMs: num('skew-ms', 0),
    jitterMs: num('jitter-ms', 0),
    dropRate: num('drop-rate', 0, 1),
    loadDelayMs: num('load-ms', 0),
    userPrefix: values['user-prefix'],
    connectConcurrency: num('connect-concurrency', 1, 10_000),
    connectDeadlineS: num('connect-deadline', 0),
    ...(values['local-address'] ? { localAddress: values['local-address'] } : {}),
  };
  return { opts, perProcess: num('per-process', 1), holdMs: num('hold-ms', 0), json: values.json, worker: values.shard !== undefined };
}

/**
 * `npm run sim -- fleet ...`: many users' lean devices, passing playback around at a rate. A shard
 * that fails (a worker dies) is reported and left out; the others go on, and the summary is
 * always printed (exit code 1 when a shard failed).
 */
export async function fleet(argv: string[]): Promise<void> {
  const { opts, perProcess, holdMs, json, worker } = options(argv);
  if (worker) return runWorker(opts);
  // Stopped from outside (the bench, once it has the summary): exit, so a --cpu-prof profile is written.
  process.once('SIGTERM', () => process.exit(143));
  const devices = opts.users * opts.devicesPerUser;
  const processes = Math.max(1, Math.ceil(devices / perProcess));
  const shards = processes === 1 ? [inProcess(opts)] : Array.from({ length: processes }, (_, i) => spawnWorker(process.argv[1]!, argv, i, processes));
  const started = performance.now();
  const latest = new Map<number, Extract<ShardMessage, { type: 'progress' }>>();
  const failures: string[] = [];
  const live = new Set(shards);
  const line = () => {
    const sum = (k: 'connected' | 'ok' | 'failed' | 'reconnects' | 'connectFailed') => [...latest.values()].reduce((a, p) => a + p[k], 0);
    return `fleet ${((performance.now() - started) / 1000).toFixed(0)}s  connected ${sum('connected')}/${devices}${sum('connectFailed') ? ` (${sum('connectFailed')} could not)` : ''}  transfers ok ${sum('ok')} failed ${sum('failed')}  reconnects ${sum('reconnects')}${failures.length ? `  ${failures.length} shard(s) failed` : ''}`;
  };
  /** Wait for every live shard to reach the phase; a shard that fails instead is reported and dropped. */
  const reach = async (phase: 'connected' | 'transfers-done' | 'done'): Promise<ShardMessage[]> => {
    const settled = await Promise.allSettled([...live].map((s) => s.until(phase).then((m) => ({ s, m }))));
    const reached: ShardMessage[] = [];
    [...live].forEach((s, i) => {
      const r = settled[i]!;
      if (r.status === 'fulfilled') return void reached.push(r.value.m);
      const why = r.reason instanceof Error ? r.reason.message : String(r.reason);
      failures.push(why);
      process.stderr.write(`\nfleet: a shard failed (${phase} not reached): ${why}\n`);
      live.delete(s);
      latest.delete(shards.indexOf(s));
    });
    return reached;
  };
  const tty = process.stderr.isTTY;
  const ticker = setInterval(() => process.stderr.write(tty ? `\r${line()}\x1b[K` : `${line()}\n`), tty ? 500 : 2000);
  for (const [i, s] of shards.entries()) s.on((m) => m.type === 'progress' && latest.set(i, m));

  const connected = await reach('connected');
  const connectS = Math.max(0, ...connected.map((m) => (m.type === 'phase' ? (m.connectMs ?? 0) : 0))) / 1000;
  const heldConnected = connected.reduce((a, m) => a + (m.type === 'phase' ? (m.held ?? 0) : 0), 0);
  if (json) process.stdout.write(`${JSON.stringify({ phase: 'connected', held: heldConnected })}\n`);
  const t0 = performance.now();
  for (const s of live) s.send('transfers');
  const done = await reach('transfers-done');
  const transferS = (performance.now() - t0) / 1000;
  const held = done.reduce((a, m) => a + (m.type === 'phase' ? (m.held ?? 0) : 0), 0);
  if (json) process.stdout.write(`${JSON.stringify({ phase: 'transfers-done', held })}\n`);
  await new Promise((r) => setTimeout(r, holdMs));
  for (const s of live) s.send('close');
  const results = (await reach('done')).map((m) => (m as Extract<ShardMessage, { type: 'done' }>).result);
  clearInterval(ticker);
  process.stderr.write(`${tty ? '\r' : ''}${line()}\n`);
  const summary = summarize(results, opts, processes, connectS, transferS, failures);
  process.stderr.write(describe(summary) + '\n');
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(failures.length ? 1 : 0);
}

function summarize(results: ShardResult[], o: ShardOptions, processes: number, connectS: number, transferS: number, failures: string[]): FleetSummary {
  const hub = results.flatMap((r) => r.hubMs);
  const total = results.flatMap((r) => r.totalMs);
  const connects = results.flatMap((r) => r.connectTimesMs);
  const add = (k: 'sent' | 'ok' | 'failed' | 'held' | 'reconnects' | 'connectFailed') => results.reduce((a, r) => a + r[k], 0);
  const errors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const lost: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.lost)) lost[k] = (lost[k] ?? 0) + v;
  const why = results.find((r) => r.connectError)?.connectError;
  if (why) errors[`connect: ${why}`] = add('connectFailed');
  const ms = (v: number) => Math.round(v * 100) / 100;
  return {
    users: o.users,
    devices: o.users * o.devicesPerUser,
    held: add('held'),
    processes,
    connectS: ms(connectS),
    connectConcurrency: o.connectConcurrency,
    connectLatency: { p50Ms: ms(percentile(connects, 50)), p99Ms: ms(percentile(connects, 99)) },
    transfers: {
      sent: add('sent'),
      ok: add('ok'),
      failed: add('failed'),
      perSec: ms(add('ok') / Math.max(0.001, transferS)),
      p50Ms: ms(percentile(hub, 50)),
      p99Ms: ms(percentile(hub, 99)),
      totalP50Ms: ms(percentile(total, 50)),
      totalP99Ms: ms(percentile(total, 99)),
    },
    errors,
    reconnects: add('reconnects'),
    lost,
    connectFailed: add('connectFailed'),
    failures,
  };
}

function describe(s: FleetSummary): string {
  const t = s.transfers;
  return [
    `fleet: ${s.held}/${s.devices} devices of ${s.users} users held in ${s.processes} process(es), connected in ${s.connectS} s (${s.connectConcurrency} at a time per process; socket to welcome p50 ${s.connectLatency.p50Ms} ms p99 ${s.connectLatency.p99Ms} ms)`,
    `transfers: ${t.ok} ok, ${t.failed} failed (${t.perSec}/s); hub path p50 ${t.p50Ms} ms p99 ${t.p99Ms} ms; with the scheduled switch lead p50 ${t.totalP50Ms} ms p99 ${t.totalP99Ms} ms`,
    ...(Object.keys(s.errors).length ? [`errors: ${JSON.stringify(s.errors)}`] : []),
    ...(s.reconnects ? [`reconnects (fault injection): ${s.reconnects}`] : []),
    ...(Object.keys(s.lost).length ? [`connections the hub closed (each device connected again): ${JSON.stringify(s.lost)}`] : []),
    ...(s.connectFailed ? [`${s.connectFailed} devices could not connect`] : []),
    ...s.failures.map((f) => `failed shard: ${f}`),
  ].join('\n');
}

import { fork, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { percentile } from './handoff.ts';
import { deviceSocketUrl } from './hub-url.ts';
import { runShard, type ShardIo, type ShardMessage, type ShardOptions, type ShardResult } from './fleet-shard.ts';

const USAGE = `usage: npm run sim -- fleet --hub URL[,URL...] --users N --devices-per-user M
         --transfers-per-sec R --duration S [options]
  --secret S            the hub's HUB_SECRET, to sign device tokens here (or env HUB_SECRET)
  --skew-ms X           device clocks off by up to +-X ms          (default 0)
  --jitter-ms Y         each way, 0..Y ms more delay per message    (default 0)
  --drop-rate P         chance per second per device of a dropped connection (default 0)
  --load-ms L           how long a device takes to prepare          (default 0)
  --per-process N       devices per process; more spawn workers      (default 18000)
  --hold-ms H           keep the fleet connected this long after the transfers (default 0)
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
  connectFailed: number;
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
    connectConcurrency: 64,
    ...(values['local-address'] ? { localAddress: values['local-address'] } : {}),
  };
  return { opts, perProcess: num('per-process', 1), holdMs: num('hold-ms', 0), json: values.json, worker: values.shard !== undefined };
}

/** `npm run sim -- fleet ...`: many users' lean devices, passing playback around at a rate. */
export async function fleet(argv: string[]): Promise<void> {
  const { opts, perProcess, holdMs, json, worker } = options(argv);
  if (worker) return runWorker(opts);
  const devices = opts.users * opts.devicesPerUser;
  const processes = Math.max(1, Math.ceil(devices / perProcess));
  const shards = processes === 1 ? [inProcess(opts)] : Array.from({ length: processes }, (_, i) => spawnWorker(argv, i, processes));
  const started = performance.now();
  const latest = new Map<number, Extract<ShardMessage, { type: 'progress' }>>();
  const line = () => {
    const sum = (k: 'connected' | 'ok' | 'failed' | 'reconnects' | 'connectFailed') => [...latest.values()].reduce((a, p) => a + p[k], 0);
    return `fleet ${((performance.now() - started) / 1000).toFixed(0)}s  connected ${sum('connected')}/${devices}${sum('connectFailed') ? ` (${sum('connectFailed')} could not)` : ''}  transfers ok ${sum('ok')} failed ${sum('failed')}  reconnects ${sum('reconnects')}`;
  };
  const tty = process.stderr.isTTY;
  const ticker = setInterval(() => process.stderr.write(tty ? `\r${line()}\x1b[K` : `${line()}\n`), tty ? 500 : 2000);
  for (const [i, s] of shards.entries()) s.on((m) => m.type === 'progress' && latest.set(i, m));

  const connected = await Promise.all(shards.map((s) => s.until('connected')));
  const connectS = Math.max(...connected.map((m) => (m.type === 'phase' ? (m.connectMs ?? 0) : 0))) / 1000;
  if (json) process.stdout.write(`${JSON.stringify({ phase: 'connected', held: devices })}\n`);
  const t0 = performance.now();
  for (const s of shards) s.send('transfers');
  await Promise.all(shards.map((s) => s.until('transfers-done')));
  const transferS = (performance.now() - t0) / 1000;
  if (json) process.stdout.write(`${JSON.stringify({ phase: 'transfers-done' })}\n`);
  await new Promise((r) => setTimeout(r, holdMs));
  for (const s of shards) s.send('close');
  const results = (await Promise.all(shards.map((s) => s.until('done')))).map((m) => (m as Extract<ShardMessage, { type: 'done' }>).result);
  clearInterval(ticker);
  process.stderr.write(`${tty ? '\r' : ''}${line()}\n`);
  const summary = summarize(results, opts, processes, connectS, transferS);
  process.stderr.write(describe(summary) + '\n');
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(0);
}

function summarize(results: ShardResult[], o: ShardOptions, processes: number, connectS: number, transferS: number): FleetSummary {
  const hub = results.flatMap((r) => r.hubMs);
  const total = results.flatMap((r) => r.totalMs);
  const add = (k: 'sent' | 'ok' | 'failed' | 'held' | 'reconnects' | 'connectFailed') => results.reduce((a, r) => a + r[k], 0);
  const errors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const why = results.find((r) => r.connectError)?.connectError;
  if (why) errors[`connect: ${why}`] = add('connectFailed');
  const ms = (v: number) => Math.round(v * 100) / 100;
  return {
    users: o.users,
    devices: o.users * o.devicesPerUser,
    held: add('held'),
    processes,
    connectS: ms(connectS),
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
    connectFailed: add('connectFailed'),
  };
}

function describe(s: FleetSummary): string {
  const t = s.transfers;
  return [
    `fleet: ${s.held}/${s.devices} devices of ${s.users} users held in ${s.processes} process(es), connected in ${s.connectS} s`,
    `transfers: ${t.ok} ok, ${t.failed} failed (${t.perSec}/s); hub path p50 ${t.p50Ms} ms p99 ${t.p99Ms} ms; with the scheduled switch lead p50 ${t.totalP50Ms} ms p99 ${t.totalP99Ms} ms`,
    ...(Object.keys(s.errors).length ? [`errors: ${JSON.stringify(s.errors)}`] : []),
    ...(s.reconnects ? [`reconnects (fault injection): ${s.reconnects}`] : []),
    ...(s.connectFailed ? [`${s.connectFailed} devices could not connect`] : []),
  ].join('\n');
}

interface Shard {
  on(fn: (m: ShardMessage) => void): void;
  until(phase: 'connected' | 'transfers-done' | 'done'): Promise<ShardMessage>;
  send(step: 'transfers' | 'close'): void;
}

/** A shard whose messages arrive on `deliver`, waiting until a phase (or done) is reported. */
function shardHandle(send: (step: 'transfers' | 'close') => void): Shard & { deliver(m: ShardMessage): void; fail(err: Error): void } {
  const listeners: Array<(m: ShardMessage) => void> = [];
  const seen = new Map<string, ShardMessage>();
  const waiters = new Map<string, { resolve: (m: ShardMessage) => void; reject: (e: Error) => void }>();
  const key = (m: ShardMessage) => (m.type === 'phase' ? m.phase : m.type);
  return {
    on: (fn) => listeners.push(fn),
    until: (phase) =>
      seen.has(phase) ? Promise.resolve(seen.get(phase)!) : new Promise((resolve, reject) => waiters.set(phase, { resolve, reject })),
    send,
    deliver(m) {
      for (const l of listeners) l(m);
      if (m.type === 'progress') return;
      seen.set(key(m), m);
      waiters.get(key(m))?.resolve(m);
    },
    fail(err) {
      for (const w of waiters.values()) w.reject(err);
    },
  };
}

function inProcess(opts: ShardOptions): Shard {
  const gates = new Map<string, () => void>();
  const opened = new Set<string>();
  const handle = shardHandle((step) => {
    opened.add(step);
    gates.get(step)?.();
  });
  const io: ShardIo = {
    emit: (m) => handle.deliver(m),
    wait: (step) => (opened.has(step) ? Promise.resolve() : new Promise((r) => gates.set(step, r))),
  };
  runShard(opts, io).catch((err: unknown) => handle.fail(err as Error));
  return handle;
}

/** Worker i of n: its own process and its own loopback source address. */
function spawnWorker(argv: string[], i: number, n: number): Shard {
  const child: ChildProcess = fork(process.argv[1]!, ['fleet', ...argv, '--shard', String(i), '--shards', String(n), '--local-address', `127.0.0.${2 + i}`], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const handle = shardHandle((step) => child.send(step));
  child.on('message', (m) => handle.deliver(m as ShardMessage));
  child.on('exit', (code) => handle.fail(new Error(`fleet worker ${i} exited with ${code}`)));
  return handle;
}

async function runWorker(opts: ShardOptions): Promise<void> {
  // The coordinator is gone: so is this worker.
  process.once('disconnect', () => process.exit(1));
  const opened = new Set<string>();
  const gates = new Map<string, () => void>();
  process.on('message', (step: string) => {
    opened.add(step);
    gates.get(step)?.();
  });
  await runShard(opts, {
    emit: (m) => process.send?.(m),
    wait: (step) => (opened.has(step) ? Promise.resolve() : new Promise((r) => gates.set(step, r))),
  });
  process.removeAllListeners('disconnect');
  process.disconnect?.();
}

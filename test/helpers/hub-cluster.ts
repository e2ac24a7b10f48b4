import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SimDevice, type SimDeviceOptions } from '@handoff/device-sim';
import { signToken } from '@handoff/server';
import { freePort } from './redis.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLUSTER_SECRET = 'multi-node-test-secret-0123456789';

/** A hub as its own process (`node --import tsx server/src/main.ts`), on a fixed port so it can come back. */
export interface HubProcess {
  nodeId: string;
  port: number;
  url: string;
  wsUrl: string;
  /** The process's stderr so far (JSON log lines). */
  readonly log: string;
  readonly running: boolean;
  start(): Promise<void>;
  /** kill -9: no drain, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM: drain (hand sessions over, devices told to reconnect), then exit. Resolves on exit. */
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: the process freezes (a long GC pause, a VM stall) and thaws. */
  pause(): void;
  resume(): void;
}

export async function hubProcess(nodeId: string, env: Record<string, string>): Promise<HubProcess> {
  const port = await freePort();
  let proc: ChildProcess | null = null;
  let log = '';
  const url = `http://127.0.0.1:${port}`;
  const exited = () => new Promise<void>((resolve) => (proc && proc.exitCode === null && proc.signalCode === null ? proc.once('exit', () => resolve()) : resolve()));
  const handle: HubProcess = {
    nodeId,
    port,
    url,
    wsUrl: `ws://127.0.0.1:${port}/v1/connect`,
    get log() {
      return log;
    },
    get running() {
      return proc !== null && proc.exitCode === null && proc.signalCode === null;
    },
    async start() {
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          NODE_ID: nodeId,
          HUB_SECRET: CLUSTER_SECRET,
          LOG_FORMAT: 'json',
          LOG_LEVEL: 'info',
          ...env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      proc = child;
      child.stderr.on('data', (d: Buffer) => (log += String(d)));
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`hub ${nodeId} exited at start:\n${log}`);
        try {
          if ((await fetch(`${url}/healthz`)).ok) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`hub ${nodeId} did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill() {
      const done = exited();
      proc?.kill('SIGKILL');
      await done;
    },
    async stop() {
      const done = exited();
      proc?.kill('SIGTERM');
      await done;
    },
    pause: () => void proc?.kill('SIGSTOP'),
    resume: () => void proc?.kill('SIGCONT'),
  };
  return handle;
}

export interface TestCluster extends AsyncDisposable {
  nodes: HubProcess[];
  /** Every node's device URL, starting with `first` (a device's `hub` list: it moves on when one is gone). */
  urls(first?: number): string[];
  token(user: string, role?: 'device' | 'viewer' | 'admin'): Promise<string>;
  /** A simulated device connected to node `at` first (and the others after it). */
  device(user: string, at: number, opts: Partial<SimDeviceOptions> & { kind: NonNullable<SimDeviceOptions['kind']> }): Promise<SimDevice>;
  close(): Promise<void>;
}

/** `count` hub processes on one Redis, started together. */
export async function startCluster(count: number, env: Record<string, string>): Promise<TestCluster> {
  const nodes = await Promise.all(Array.from({ length: count }, (_, i) => hubProcess(`node-${String.fromCharCode(97 + i)}`, env)));
  await Promise.all(nodes.map((n) => n.start()));
  const devices: SimDevice[] = [];
  const urls = (first = 0) => nodes.map((_, i) => nodes[(first + i) % nodes.length]!.wsUrl);
  const token = (user: string, role: 'device' | 'viewer' | 'admin' = 'device') => signToken(CLUSTER_SECRET, { userId: user, role }, 3600);
  const close = async () => {
    await Promise.all(devices.map((d) => d.close()));
    await Promise.all(nodes.map((n) => (n.running ? n.kill() : Promise.resolve())));
  };
  return {
    nodes,
    urls,
    token,
    async device(user, at, opts) {
      const d = new SimDevice({ hub: urls(at), user, token: await token(user), maxBackoffMs: 400, id: `${opts.kind}-${devices.length}`, ...opts });
      devices.push(d);
      await d.connect();
      return d;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the processes of a running test cluster are, written to its directory so every test process can find them. */
interface ClusterState {
  ports: number[];
  pids: Record<string, number>;
}

export interface TestRedisCluster {
  /** Every node's port (masters and replicas as created; roles change after a failover). */
  ports: number[];
  /** `127.0.0.1:port,...`: what REDIS_CLUSTER_NODES takes. */
  seeds: string;
  /** A cluster client; closed with `disconnectClients()`. */
  client(): Cluster;
  /** A client of one node. */
  node(port: number): Redis;
  /** The ports of the nodes that serve slots now. */
  masters(): Promise<number[]>;
  /** The master serving the slot of `key`. */
  masterOf(key: string): Promise<number>;
  /** kill -9 one node. */
  kill(port: number): Promise<void>;
  /** SIGSTOP / SIGCONT one node: a stall (it answers nobody, its connections stay open). */
  pause(port: number): void;
  resume(port: number): void;
  /** Start a killed node again on its data (it rejoins, as a replica when its slots moved). */
  revive(port: number): Promise<void>;
  /** Resolves once every slot is served by a master that answers, and the cluster says ok. */
  healthy(timeoutMs?: number): Promise<void>;
  disconnectClients(): void;
}

/** A free port whose cluster bus port (+10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function launch(dir: string, port: number): number {
  const nodeDir = join(dir, String(port));
  mkdirSync(nodeDir, { recursive: true });
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--protected-mode', 'no',
    '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000',
    '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
    // A replica takes over at once, whatever its replication lag (the test kills masters under load).
    '--cluster-replica-validity-factor', '0',
    '--logfile', join(nodeDir, 'redis.log'),
  ];
  const child = spawn('redis-server', args, { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid === undefined) throw new Error('cannot run redis-server (is it installed? scripts/test.sh installs it)');
  return child.pid;
}

async function answers(port: number): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'ping']);
    return stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`redis cluster: ${what} not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * A real Redis Cluster on loopback: `masters` masters with `replicas` replicas each
 * (`redis-server --cluster-enabled yes`, then `redis-cli --cluster create`), its processes
 * detached and its state in `dir`, so several test processes share one (see sharedRedisCluster).
 */
export async function createRedisCluster(dir: string, masters = 3, replicas = 1): Promise<void> {
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < masters * (1 + replicas); i++) ports.push(await freeClusterPort(taken));
  const pids: Record<string, number> = {};
  for (const port of ports) pids[port] = launch(dir, port);
  writeState(dir, { ports, pids });
  await Promise.all(ports.map((p) => waitFor(() => answers(p), 10_000, `node ${p} answering`)));
  await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 30_000 });
  await clusterOf(dir).healthy(30_000);
}

/** Stop every node of the cluster in `dir` and remove its data. */
export function destroyRedisCluster(dir: string): void {
  if (!existsSync(join(dir, 'state.json'))) return rmSync(dir, { recursive: true, force: true });
  for (const pid of Object.values(readState(dir).pids)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

const readState = (dir: string) => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ClusterState;
const writeState = (dir: string, state: ClusterState) => writeFileSync(join(dir, 'state.json'), JSON.stringify(state));

/** The test cluster whose state is in `dir`. */
export function clusterOf(dir: string): TestRedisCluster {
  const { ports } = readState(dir);
  const clients: Array<Redis | Cluster> = [];
  const node = (port: number) => {
    const c = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: false });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  /** Slot ranges and the port of the master serving each (CLUSTER SLOTS of the first node that answers). */
  const slotsNow = async (): Promise<Array<[number, number, number]>> => {
    for (const port of ports) {
      const c = new Redis(port, '127.0.0.1', { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
      c.on('error', () => {});
      try {
        await c.connect();
        const slots = (await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
        return slots.map(([from, to, master]) => [from, to, master[1]]);
      } catch {
        // try the next node
      } finally {
        c.disconnect();
      }
    }
    return [];
  };
  const cluster: TestRedisCluster = {
    ports,
    seeds: ports.map((p) => `127.0.0.1:${p}`).join(','),
    client() {
      const c = new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        { redisOptions: { maxRetriesPerRequest: 3 }, shardedSubscribers: true },
      );
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    node,
    async masters() {
      return [...new Set((await slotsNow()).map(([, , port]) => port))];
    },
    async masterOf(key: string) {
      const probe = node(ports[0]!);
      const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
      probe.disconnect();
      const range = (await slotsNow()).find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no master serves slot ${slot}`);
      return range[2];
    },
    async kill(port) {
      const state = readState(dir);
      const pid = state.pids[port];
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await waitFor(async () => !(await answers(port)), 5000, `node ${port} gone`);
    },
    pause(port) {
      const pid = readState(dir).pids[port];
      if (pid !== undefined) process.kill(pid, 'SIGSTOP');
    },
    resume(port) {
      const pid = readState(dir).pids[port];
      if (pid !== undefined) process.kill(pid, 'SIGCONT');
    },
    async revive(port) {
      const state = readState(dir);
      state.pids[port] = launch(dir, port);
      writeState(dir, state);
      await waitFor(() => answers(port), 10_000, `node ${port} answering again`);
    },
    async healthy(timeoutMs = 20_000) {
      await waitFor(
        async () => {
          const masters = await cluster.masters();
          if (masters.length === 0) return false;
          const covered = (await slotsNow()).reduce((n, [from, to]) => n + (to - from + 1), 0);
          if (covered !== 16384) return false;
          for (const port of masters) {
            try {
              const { stdout: info } = await run('redis-cli', ['-p', String(port), 'cluster', 'info'], { timeout: 2000 });
              if (!info.includes('cluster_state:ok')) return false;
            } catch {
              return false;
            }
          }
          // Every replica that answers has caught up with its master (a WAIT counts it).
          for (const port of ports) {
            if (masters.includes(port) || !(await answers(port))) continue;
            const { stdout: repl } = await run('redis-cli', ['-p', String(port), 'info', 'replication'], { timeout: 2000 });
            if (repl.includes('role:slave') && !repl.includes('master_link_status:up')) return false;
          }
          return true;
        },
        timeoutMs,
        'every slot served',
      );
    },
    disconnectClients() {
      for (const c of clients.splice(0)) c.disconnect();
    },
  };
  return cluster;
}

/** A fresh directory for a cluster's state. */
export const clusterDir = () => mkdtempSync(join(tmpdir(), 'handoff-redis-cluster-'));

/**
 * The one Redis Cluster (3 masters, 3 replicas) that every test of a run shares: started by the
 * first test process that asks (the others wait for it), in the directory the run's global setup
 * provided (test/helpers/redis-cluster-setup.ts), and stopped by its teardown.
 */
export async function sharedRedisCluster(dir: string): Promise<TestRedisCluster> {
  const ready = join(dir, 'ready');
  let mine = false;
  try {
    mkdirSync(join(dir, 'lock'));
    mine = true;
  } catch {
    // another test process is starting it (or did)
  }
  if (mine) {
    try {
      await createRedisCluster(dir);
      writeFileSync(ready, 'ok');
    } catch (err) {
      writeFileSync(ready, `failed: ${String((err as Error).message)}`);
      throw err;
    }
  } else {
    await waitFor(() => Promise.resolve(existsSync(ready)), 60_000, 'the shared cluster started by another test process');
    const said = readFileSync(ready, 'utf8');
    if (said !== 'ok') throw new Error(`the shared Redis Cluster did not start: ${said}`);
  }
  const cluster = clusterOf(dir);
  // A scenario before this one may have killed a master: wait until every slot is served again.
  await cluster.healthy(30_000);
  return cluster;
}

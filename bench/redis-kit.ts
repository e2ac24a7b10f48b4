import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { clusterDir, clusterOf, createRedisCluster, destroyRedisCluster } from '../test/helpers/redis-cluster.ts';
import { startRedis } from '../test/helpers/redis.ts';

/** What the Redis benchmarks run hubs on: one Redis, or a Redis Cluster of 3 masters and 3 replicas. */
export interface Backend {
  env: Record<string, string>;
  /** The masters' ports (where the data and the commands are). */
  masters(): Promise<number[]>;
  stop(): Promise<void>;
}

export async function backend(kind: string): Promise<Backend> {
  if (kind === 'single') {
    const redis = await startRedis({ aof: false });
    return { env: { REDIS_URL: redis.url }, masters: () => Promise.resolve([redis.port]), stop: () => redis.stop() };
  }
  const dir = clusterDir();
  await createRedisCluster(dir);
  const cluster = clusterOf(dir);
  return { env: { REDIS_CLUSTER_NODES: cluster.seeds }, masters: () => cluster.masters(), stop: () => Promise.resolve(destroyRedisCluster(dir)) };
}

/** Every device of the benchmark comes from one address, thousands a second. */
const UNLIMITED_UPGRADES = { UPGRADE_RATE_PER_ADDRESS: '1000000', UPGRADE_BURST_PER_ADDRESS: '1000000', UPGRADE_RATE_PER_USER: '1000000', UPGRADE_BURST_PER_USER: '1000000' };

/** One hub process (bench/hub-process.ts of the checkout at `root`), resolved with its port once it listens. */
export function hubProcess(root: string, nodeId: string, env: Record<string, string>): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'bench/hub-process.ts')], {
    cwd: root,
    env: { ...process.env, SESSION_IDLE_MS: '3600000', MAX_CONNECTIONS_PER_ADDRESS: '1000000', ...UNLIMITED_UPGRADES, LOG_LEVEL: 'error', ...env, NODE_ID: nodeId },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((res, rej) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.includes('"ready"'));
      if (line) res({ port: (JSON.parse(line) as { port: number }).port, proc });
    });
    proc.once('exit', (code) => rej(new Error(`hub ${nodeId} exited with ${code}`)));
  });
}

/** Run `fn` with a short-lived client to each master in turn. */
export async function eachMaster<T>(ports: number[], fn: (c: Redis) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const port of ports) {
    const c = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      out.push(await fn(c));
    } finally {
      c.disconnect();
    }
  }
  return out;
}

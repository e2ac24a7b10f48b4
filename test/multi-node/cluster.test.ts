import { afterAll, beforeAll, vi } from 'vitest';
import { startCluster } from '../helpers/hub-cluster.ts';
import { startRedis } from '../helpers/redis.ts';
import { contextOf, type ClusterContext } from './context.ts';
import { ownerKilled } from './failover.ts';
import { droppedSession } from './dropped.ts';
import { frozenOwner } from './fencing.ts';
import { restarts } from './restarts.ts';
import { splitDevices } from './split.ts';
import { SAMPLE_RATE, tracesOnDemand } from './traces.ts';

/**
 * Three hub processes on one real redis-server, shared by the scenarios below in order (each
 * leaves every node running). Short lease TTL and heartbeats keep the suite quick; the grace
 * period is long enough for a device to outlast every node restarting on a busy 2-core machine
 * (a device cut off for 0.9 of it goes silent).
 */
const TTL_MS = 2000;
vi.setConfig({ testTimeout: 120_000 });
let ctx: ClusterContext;

beforeAll(async () => {
  const redis = await startRedis();
  const cluster = await startCluster(3, { REDIS_URL: redis.url, LEASE_TTL_MS: String(TTL_MS), HEARTBEAT_MS: '1000', GRACE_MS: '60000', TRACE_SAMPLE_RATE: String(SAMPLE_RATE) });
  ctx = contextOf(redis, cluster, TTL_MS);
}, 60_000);

afterAll(async () => {
  if (!ctx) return;
  process.stdout.write(`\nmulti-node timings:\n${Object.entries(ctx.report).map(([k, v]) => `  ${k}: ${String(v)}`).join('\n')}\n`);
  await ctx.cluster.close();
  await ctx.redis.stop();
}, 30_000);

const get = () => ctx;
splitDevices(get);
frozenOwner(get);
droppedSession(get);
ownerKilled(get);
restarts(get);
tracesOnDemand(get);

import { Redis } from 'ioredis';
import type { HubProcess, TestCluster } from '../helpers/hub-cluster.ts';
import { partitionHolder, userOwnedBy } from '../helpers/partition-owner.ts';
import type { TestRedis } from '../helpers/redis.ts';

/** What every multi-node scenario gets: one Redis and three hub processes on it, shared in order. */
export interface ClusterContext {
  redis: TestRedis;
  cluster: TestCluster;
  ttlMs: number;
  /** Who holds the lease of the user's partition now (read from Redis). */
  holder: (userId: string) => Promise<string | null>;
  /** A user id starting with `prefix` whose partition the node `nodeId` owns while all nodes run. */
  userOwnedBy: (nodeId: string, prefix: string) => string;
  /** Start any node a scenario left stopped. */
  allUp: () => Promise<void>;
  /** The revision of the user's session as persisted in Redis. */
  storedRevision: (userId: string) => Promise<number>;
  /** The user's persisted session record (revision, savedAt, node that wrote it). */
  stored: (userId: string) => Promise<{ revision: number; node?: string; savedAt?: number } | null>;
  /**
   * Claim the user for a node that does not exist, for `ms`, with a newer fencing token (as if
   * another node had taken the user over): the owner's next write is refused.
   */
  stealLease: (userId: string, ms: number) => Promise<void>;
  /** Timings for the report, printed at the end of the run. */
  report: Record<string, unknown>;
}

export function contextOf(redis: TestRedis, cluster: TestCluster, ttlMs: number): ClusterContext {
  let client: Redis | null = null;
  const c = () => (client ??= redis.client());
  return {
    redis,
    cluster,
    ttlMs,
    holder: (userId) => partitionHolder(c(), userId),
    userOwnedBy: (nodeId, prefix) => userOwnedBy(nodeId, cluster.nodes.map((n) => n.nodeId), prefix),
    async allUp() {
      await Promise.all(cluster.nodes.filter((n) => !n.running).map((n) => n.start()));
    },
    async storedRevision(userId) {
      return Number((await c().hget(`session:{${userId}}`, 'r')) ?? -1);
    },
    async stored(userId) {
      const d = await c().hget(`session:{${userId}}`, 'd');
      return d === null ? null : (JSON.parse(d) as { revision: number; node?: string; savedAt?: number });
    },
    async stealLease(userId, ms) {
      // A newer claim on the user than its owner's (as if another node had restored it), for `ms`.
      const claimed = Number((await c().get(`owner:{${userId}}`)) ?? 0);
      await c().set(`owner:{${userId}}`, String(claimed + 1_000_000), 'PX', ms);
    },
    report: {},
  };
}

/** The JSON log lines of the nodes, parsed (lines that are not JSON are skipped). */
export function logLines(nodes: HubProcess[]): Array<Record<string, unknown>> {
  return nodes.flatMap((n) =>
    n.log.split('\n').flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    }),
  );
}

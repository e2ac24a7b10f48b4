import type { TestProject } from 'vitest/node';
import { clusterDir, destroyRedisCluster } from './redis-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the run's shared Redis Cluster keeps its state (started on first use: sharedRedisCluster). */
    redisClusterDir: string;
  }
}

/** Vitest global setup: a directory for the shared Redis Cluster, and its teardown at the end of the run. */
export default function setup(project: TestProject): () => void {
  const dir = clusterDir();
  project.provide('redisClusterDir', dir);
  return () => destroyRedisCluster(dir);
}

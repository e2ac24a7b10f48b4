import { RedisOwnership } from '../../server/src/cluster/redis-ownership.ts';
import { DEFAULT_PARTITIONS } from '../../server/src/cluster/partitions.ts';
import { ownerOf, partitionOf } from '../../server/src/cluster/rendezvous.ts';
import type { RedisClient } from '../../server/src/store/redis-connect.ts';

/** Who holds the lease of the user's partition now, read from Redis (hubs with the default PARTITIONS). */
export function partitionHolder(client: RedisClient, userId: string): Promise<string | null> {
  return new RedisOwnership(client).holder(partitionOf(userId, DEFAULT_PARTITIONS));
}

/** A user id starting with `prefix` whose partition `node` owns by rendezvous among `nodes`. */
export function userOwnedBy(node: string, nodes: readonly string[], prefix: string): string {
  for (let i = 0; ; i++) {
    const user = `${prefix}-${i}`;
    if (ownerOf(user, nodes, DEFAULT_PARTITIONS) === node) return user;
  }
}

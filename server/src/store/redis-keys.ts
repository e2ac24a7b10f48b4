/**
 * Every key of one user shares the hash tag `{userId}`, so they sit in one slot and one Lua
 * script can touch them all on Redis Cluster. Braces and `%` in ids are escaped, so an id cannot
 * move its keys to another slot.
 */
const tag = (userId: string) => `{${userId.replace(/[{}%]/g, (c) => encodeURIComponent(c))}}`;

export const redisKeys = {
  /** Hash: `r` the revision, `d` the persisted session (JSON). */
  session: (userId: string) => `session:${tag(userId)}`,
  /** List: the session's recent command results (JSON each), capped; the snapshot says `results: "@list"`. */
  results: (userId: string) => `results:${tag(userId)}`,
  /**
   * String: the fencing token of the partition owner that last restored the session (a claim,
   * Store.load with a token); writes must carry exactly it.
   */
  owner: (userId: string) => `owner:${tag(userId)}`,
  /** Stream of trace events, entry id `seq-0`, capped. */
  trace: (userId: string) => `trace:${tag(userId)}`,
  /** Hash node -> expiry (Redis time, ms): the hub nodes' membership. A deployment's ownership keys share one slot, `{handoff}` by default. */
  members: (namespace: string) => `members:${tag(namespace)}`,
  /** Hash partition -> `token:holder:expiry`: each partition's lease. */
  partitionLeases: (namespace: string) => `partitions:${tag(namespace)}`,
  /** Counter: the latest fencing token handed out, for every partition. Never expires, so tokens only rise. */
  partitionFence: (namespace: string) => `fence:${tag(namespace)}`,
  /** String (the watching node), PX = watch TTL + tail: someone watches the user's trace, so its owner writes it. */
  traceWatch: (userId: string) => `tracewatch:${tag(userId)}`,
} as const;

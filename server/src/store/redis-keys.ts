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
  /** String `token:holder`, with the lease TTL. */
  lease: (userId: string) => `lease:${tag(userId)}`,
  /** Counter: the latest fencing token handed out. Never expires, so tokens only rise. */
  fence: (userId: string) => `fence:${tag(userId)}`,
  /** Stream of trace events, entry id `seq-0`, capped. */
  trace: (userId: string) => `trace:${tag(userId)}`,
} as const;

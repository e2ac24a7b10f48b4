/** A partition this node holds, with the fencing token of its acquisition. */
export interface Held {
  partition: number;
  token: number;
}

/** One round of a node with the shared ownership record (see Ownership.tick). */
export interface TickRequest {
  node: string;
  /** How long the membership and the leases renewed or taken now last without another tick. */
  ttlMs: number;
  /** Partitions held: extended (taken back if they lapsed and nobody took them since), else reported lost. */
  renew: Held[];
  /** Partitions given up (their sessions handed over): freed at once, if still held under that token. */
  release: Held[];
  /** Partitions wanted: taken when free or lapsed, each with a new fencing token. */
  acquire: number[];
  /** Leave the membership (draining): the other nodes stop counting this one. */
  leave?: boolean;
  /** This node's PARTITIONS: a tick is refused (`partitionsInUse`) while other live members use another count. */
  partitions: number;
}

export interface TickResult {
  /** The live members after this tick, sorted. */
  members: string[];
  /** Whether this node was a live member before the tick: false on its first tick, and after a stall longer than the TTL. */
  wasMember: boolean;
  /** Of `renew`: partitions no longer this node's (another node took them). */
  lost: number[];
  /** Of `acquire`: partitions taken now, with their new fencing tokens. */
  acquired: Held[];
  /** Of `acquired`: those another node held until its lease lapsed (taken over, not free). */
  takenOver: number[];
  /** In how many ms the first other member's membership lapses unless it ticks (null: no other member). */
  nextLapseMs: number | null;
  /** Set when the tick was refused, changing nothing: the PARTITIONS the live members use, unlike this node's. */
  partitionsInUse?: number;
}

/**
 * The record every node shares: who is a member (with a heartbeat), and who holds each partition's
 * lease. A node does everything in one `tick` (one Redis script, however many users it serves):
 * its heartbeat, renewals, releases and acquisitions. Fencing tokens come from one counter, so they
 * rise across partitions too: a user's data (Store.load/save with a token) can compare any two.
 * A lease lapses `ttlMs` after its last renewal; expiry is judged on the backend's own clock.
 * Memory (nodes in one process, tests) and Redis (one server or a cluster: every key in one slot).
 */
export interface Ownership {
  tick(request: TickRequest): Promise<TickResult>;
  /** Who holds the partition's lease now (null when free or lapsed). */
  holder(partition: number): Promise<string | null>;
}

/** A node's hold on one user's session, and the fencing token that orders it among holders. */
export interface Lease {
  userId: string;
  holder: string;
  /** Rises with every acquisition of this user's lease; writes carry it (see Store.save). */
  token: number;
}

export type Claim = { lease: Lease; holder?: undefined } | { lease?: undefined; holder: string | null };

/**
 * Who owns each user's session when there are many nodes. A lease is taken only when free,
 * renewed and released only by its holder, and lapses after its TTL when the holder stops
 * renewing (it died). Each acquisition gets a larger fencing token, which every store write
 * checks, so a holder that was paused past its TTL cannot overwrite a newer owner's state.
 * Memory (one process, several nodes in tests) and Redis.
 */
export interface Leases {
  /** Take the lease if it is free (or held under this holder's name); otherwise say who holds it. */
  acquire(userId: string, holder: string, ttlMs: number): Promise<Claim>;
  /**
   * Extend the lease. False when it is no longer this holder's: taken by someone else since. A
   * lease that lapsed but that no one took since (same fencing token) is taken back.
   */
  renew(lease: Lease, ttlMs: number): Promise<boolean>;
  /** Give it up, so another node can take it at once (only if still held). */
  release(lease: Lease): Promise<void>;
  /** Who holds the user's lease now, if anyone. */
  holder(userId: string): Promise<string | null>;
}

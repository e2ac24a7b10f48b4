import type { Claim, Lease, Leases } from './leases.ts';

/**
 * Leases in this process's memory, on an injected clock; `fenceOf` is handed to a MemoryStore so
 * its writes are fenced the way RedisStore's are.
 */
export class MemoryLeases implements Leases {
  private readonly held = new Map<string, { holder: string; token: number; until: number }>();
  private readonly fences = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The user's latest fencing token (0 before the first acquisition). */
  readonly fenceOf = (userId: string): number => this.fences.get(userId) ?? 0;

  acquire(userId: string, holder: string, ttlMs: number): Promise<Claim> {
    const current = this.current(userId);
    if (current && current.holder !== holder) return Promise.resolve({ holder: current.holder });
    const token = this.fenceOf(userId) + 1;
    this.fences.set(userId, token);
    this.held.set(userId, { holder, token, until: this.now() + ttlMs });
    return Promise.resolve({ lease: { userId, holder, token } });
  }

  renew(lease: Lease, ttlMs: number): Promise<boolean> {
    const current = this.current(lease.userId);
    const ours = current ? current.holder === lease.holder && current.token === lease.token : this.fenceOf(lease.userId) === lease.token;
    if (ours) this.held.set(lease.userId, { holder: lease.holder, token: lease.token, until: this.now() + ttlMs });
    return Promise.resolve(ours);
  }

  release(lease: Lease): Promise<void> {
    const current = this.current(lease.userId);
    if (current?.holder === lease.holder && current.token === lease.token) this.held.delete(lease.userId);
    return Promise.resolve();
  }

  holder(userId: string): Promise<string | null> {
    return Promise.resolve(this.current(userId)?.holder ?? null);
  }

  private current(userId: string) {
    const lease = this.held.get(userId);
    if (lease && lease.until <= this.now()) {
      this.held.delete(userId);
      return undefined;
    }
    return lease;
  }
}

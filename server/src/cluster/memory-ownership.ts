import type { Held, Ownership, TickRequest, TickResult } from './ownership.ts';

/** The shared ownership record in this process's memory, on an injected clock (nodes in one process). */
export class MemoryOwnership implements Ownership {
  private readonly members = new Map<string, number>();
  private readonly leases = new Map<number, { holder: string; token: number; until: number }>();
  private fence = 0;
  private partitions: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  tick(req: TickRequest): Promise<TickResult> {
    const now = this.now();
    const wasMember = (this.members.get(req.node) ?? 0) > now;
    const othersLive = [...this.members].some(([node, until]) => node !== req.node && until > now);
    if (this.partitions !== null && this.partitions !== req.partitions && othersLive) {
      return Promise.resolve({ members: [], wasMember, lost: [], acquired: [], takenOver: [], nextLapseMs: null, partitionsInUse: this.partitions });
    }
    this.partitions = req.partitions;
    if (req.leave) this.members.delete(req.node);
    else this.members.set(req.node, now + req.ttlMs);
    for (const [node, until] of this.members) if (until <= now) this.members.delete(node);
    const lost: number[] = [];
    for (const { partition, token } of req.renew) {
      const lease = this.leases.get(partition);
      if (lease?.holder === req.node && lease.token === token) lease.until = now + req.ttlMs;
      else lost.push(partition);
    }
    for (const { partition, token } of req.release) {
      const lease = this.leases.get(partition);
      if (lease?.holder === req.node && lease.token === token) this.leases.delete(partition);
    }
    const acquired: Held[] = [];
    const takenOver: number[] = [];
    for (const partition of req.acquire) {
      const lease = this.leases.get(partition);
      if (lease && lease.until > now && lease.holder !== req.node) continue;
      if (lease && lease.holder !== req.node) takenOver.push(partition);
      const token = ++this.fence;
      this.leases.set(partition, { holder: req.node, token, until: now + req.ttlMs });
      acquired.push({ partition, token });
    }
    const others = [...this.members].filter(([node]) => node !== req.node).map(([, until]) => until - now);
    return Promise.resolve({ members: [...this.members.keys()].sort(), wasMember, lost, acquired, takenOver, nextLapseMs: others.length ? Math.min(...others) : null });
  }

  holder(partition: number): Promise<string | null> {
    const lease = this.leases.get(partition);
    return Promise.resolve(lease && lease.until > this.now() ? lease.holder : null);
  }
}

import { FencedWriteError, type PersistedSession, type Store } from './store.ts';

/**
 * Sessions in this process's memory. Snapshots are immutable values (every transition builds a
 * new context), so keeping the reference is safe and costs nothing per commit. Claims and fenced
 * writes are checked as RedisStore checks them.
 */
export class MemoryStore implements Store {
  private readonly sessions = new Map<string, PersistedSession>();

  /** The fencing token of each user's latest claim. */
  private readonly claims = new Map<string, number>();

  load(userId: string, fence?: number): Promise<PersistedSession | null> {
    if (fence !== undefined) {
      if ((this.claims.get(userId) ?? 0) > fence) return Promise.reject(new FencedWriteError(userId, fence));
      this.claims.set(userId, fence);
    }
    return Promise.resolve(this.sessions.get(userId) ?? null);
  }

  save(userId: string, session: PersistedSession, fence?: number): Promise<void> {
    if (fence !== undefined && (this.claims.get(userId) ?? 0) !== fence) return Promise.reject(new FencedWriteError(userId, fence));
    const known = this.sessions.get(userId);
    // Never let an older revision overwrite a newer one.
    if (!known || known.revision <= session.revision) this.sessions.set(userId, session);
    return Promise.resolve();
  }

  delete(userId: string): Promise<void> {
    this.sessions.delete(userId);
    this.claims.delete(userId);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

import { FencedWriteError, type PersistedSession, type Store } from './store.ts';

/**
 * Sessions in this process's memory. Snapshots are immutable values (every transition builds a
 * new context), so keeping the reference is safe and costs nothing per commit. With `fenceOf`
 * (MemoryLeases.fenceOf), fenced writes are checked as RedisStore checks them.
 */
export class MemoryStore implements Store {
  private readonly sessions = new Map<string, PersistedSession>();

  constructor(private readonly fenceOf?: (userId: string) => number) {}

  load(userId: string): Promise<PersistedSession | null> {
    return Promise.resolve(this.sessions.get(userId) ?? null);
  }

  save(userId: string, session: PersistedSession, fence?: number): Promise<void> {
    if (fence !== undefined && this.fenceOf && this.fenceOf(userId) !== fence) return Promise.reject(new FencedWriteError(userId, fence));
    const known = this.sessions.get(userId);
    // Never let an older revision overwrite a newer one.
    if (!known || known.revision <= session.revision) this.sessions.set(userId, session);
    return Promise.resolve();
  }

  delete(userId: string): Promise<void> {
    this.sessions.delete(userId);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

import type { PersistedSession, Store } from './store.ts';

/**
 * Sessions in this process's memory. Snapshots are immutable values (every transition builds a
 * new context), so keeping the reference is safe and costs nothing per commit.
 */
export class MemoryStore implements Store {
  private readonly sessions = new Map<string, PersistedSession>();

  load(userId: string): Promise<PersistedSession | null> {
    return Promise.resolve(this.sessions.get(userId) ?? null);
  }

  save(userId: string, session: PersistedSession): Promise<void> {
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

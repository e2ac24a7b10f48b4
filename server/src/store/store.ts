/** A user's session as persisted: the machine snapshot, its revision and the format version. */
export interface PersistedSession {
  /** Format of `snapshot`; readers accept the current and the previous version. */
  version: number;
  revision: number;
  snapshot: unknown;
}

export const PERSISTED_SESSION_VERSION = 1;

/** Where sessions live between their actors' lifetimes. Memory here; Redis on many nodes. */
export interface Store {
  load(userId: string): Promise<PersistedSession | null>;
  save(userId: string, session: PersistedSession): Promise<void>;
  delete(userId: string): Promise<void>;
  close(): Promise<void>;
}

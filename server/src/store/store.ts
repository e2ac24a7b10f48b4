import type { SessionContext } from '../session/context.ts';
import type { StoredResult } from '../session/result-memory.ts';

/** A user's session as persisted: the machine snapshot, its revision and the format version. */
export interface PersistedSession {
  /** Format of `snapshot`; readers accept the current and the earlier versions (see `readPersisted`). */
  version: number;
  revision: number;
  snapshot: unknown;
  /** Since version 2: when (server time) and by which node it was written. */
  savedAt?: number;
  node?: string;
}

/**
 * 1: `{ version, revision, snapshot: { value, context } }`.
 * 2: adds `savedAt` and `node`, so a node that takes a session over can say whose state it
 *    restored and how old it was.
 * 3: the context holds the user's groups (`groups`, `groupCount`); earlier snapshots read as
 *    having none.
 */
export const PERSISTED_SESSION_VERSION = 3;
const OLDEST_READABLE_VERSION = 1;

/** A claim or write refused because its fencing token is not the user's latest claim: another node owns the session now. */
export class FencedWriteError extends Error {
  constructor(
    readonly userId: string,
    readonly token: number,
  ) {
    super(`claim or write for ${userId} with fencing token ${token} refused: another node owns the session now`);
    this.name = 'FencedWriteError';
  }
}

/**
 * Where sessions live between their actors' lifetimes. Memory here; Redis on many nodes.
 * `save` never lets an older revision overwrite a newer one. Many nodes: the owner of the user's
 * partition restores the session with `load(userId, token)`, a claim that records its fencing
 * token (cluster/ownership.ts) beside the session, refused (FencedWriteError) when a newer
 * token has claimed it since; `save` with a token refuses a write whose token is not the claim.
 * So an owner that lost its partition cannot overwrite what the next owner restored.
 */
export interface Store {
  load(userId: string, fence?: number): Promise<PersistedSession | null>;
  save(userId: string, session: PersistedSession, fence?: number): Promise<void>;
  delete(userId: string): Promise<void>;
  close(): Promise<void>;
}

/** What a persisted session restores to, from the current format or an earlier one; newer formats are refused. */
export function readPersisted(stored: PersistedSession): { value: unknown; context: SessionContext; results: StoredResult[] } {
  if (stored.version < OLDEST_READABLE_VERSION || stored.version > PERSISTED_SESSION_VERSION) {
    throw new Error(
      `persisted session format ${stored.version} is not readable by this node (reads ${OLDEST_READABLE_VERSION} to ${PERSISTED_SESSION_VERSION})`,
    );
  }
  // Version 1 differs only by lacking savedAt and node, which restoring does not need; before 3
  // there were no groups. The command results are kept in the context's `results` (the session
  // holds them beside its context: result-memory.ts).
  type Stored = Omit<SessionContext, 'groups' | 'groupCount'> & Partial<SessionContext> & { results?: StoredResult[] };
  const snapshot = stored.snapshot as { value: unknown; context: Stored };
  const { groups = {}, groupCount = 0, results = [], ...context } = snapshot.context;
  return { value: snapshot.value, context: { ...context, groups, groupCount }, results };
}

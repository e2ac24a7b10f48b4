import type { CommandResult } from '@handoff/protocol';

/** How many recent command results a session remembers for retries. */
export const RESULT_MEMORY = 128;

/** A command's answer as remembered (and persisted) for retries. */
export interface StoredResult {
  commandId: string;
  result: CommandResult;
}

/**
 * One session's recent command results by commandId, so a retried id is answered and not applied
 * twice. Held by the host (Session), not in the machine's context: the context is copied on
 * every change, and a 128-entry list in it cost a copy and a scan (about 2 us) per command; here a
 * command adds one map entry and a retry is one lookup. What is persisted is `entries()`, oldest
 * first, the list the stores keep (`snapshot.context.results`).
 */
export class ResultMemory {
  private readonly byId = new Map<string, StoredResult>();

  constructor(
    entries: readonly StoredResult[] = [],
    private readonly cap = RESULT_MEMORY,
  ) {
    for (const entry of entries) this.remember(entry);
  }

  get(commandId: string): CommandResult | undefined {
    return this.byId.get(commandId)?.result;
  }

  /** The latest result for its id; past the cap the oldest is forgotten. */
  remember(entry: StoredResult): void {
    this.byId.delete(entry.commandId);
    this.byId.set(entry.commandId, entry);
    if (this.byId.size > this.cap) this.byId.delete(this.byId.keys().next().value!);
  }

  /** Oldest first; the entry objects are kept from one call to the next (RedisStore writes only the new ones). */
  entries(): StoredResult[] {
    return Array.from(this.byId.values());
  }
}

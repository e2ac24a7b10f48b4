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
  /** The entries oldest first from `start` (an array, so `entries()` is one copy; compacted once `start` reaches the cap). */
  private list: StoredResult[] = [];
  private start = 0;

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
    // The same id answered again (a transfer's waiters): the entry moves to the end.
    if (this.byId.has(entry.commandId)) {
      this.list = this.list.slice(this.start).filter((e) => e.commandId !== entry.commandId);
      this.start = 0;
    }
    this.byId.set(entry.commandId, entry);
    this.list.push(entry);
    if (this.list.length - this.start > this.cap) this.byId.delete(this.list[this.start++]!.commandId);
    if (this.start >= this.cap) {
      this.list = this.list.slice(this.start);
      this.start = 0;
    }
  }

  /** Oldest first; the entry objects are kept from one call to the next (RedisStore writes only the new ones). */
  entries(): StoredResult[] {
    return this.list.slice(this.start);
  }
}

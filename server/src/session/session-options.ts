import type { CommandResult } from '@handoff/protocol';
import type { Clock } from '../clock.ts';
import type { TraceLog } from '../trace/trace-log.ts';
import type { Effect, SessionContext } from './context.ts';
import type { SessionEvent } from './events.ts';
import type { StoredResult } from './result-memory.ts';
import type { SessionMachine } from './session-machine.ts';
import type { SessionSettings } from './settings.ts';

export interface PersistState {
  revision: number;
  value: unknown;
  context: SessionContext;
  /** The remembered command results, oldest first (persisted as the context's `results`). */
  results: StoredResult[];
}

/** What a session is restored from (`results`: the remembered command results it had). */
export interface RestoredState {
  value: unknown;
  context: SessionContext;
  results?: readonly StoredResult[];
}

export interface SessionOptions {
  userId: string;
  clock: Clock;
  /**
   * The chart, shared by every session of a hub (built once per settings with
   * createSessionMachine: one costs about 25 KB of heap, a quarter of a household's connections).
   */
  machine: SessionMachine;
  /** The settings the chart was built with (the joins it leaves to the reducers need them). */
  settings: SessionSettings;
  trace: TraceLog;
  /** Answer an HTTP command. */
  replyHttp(ticket: string, result: CommandResult): void;
  /** Called after every committed change, with what to persist. */
  persist(state: PersistState): void;
  /**
   * Many nodes: instead of `persist`, `save` every change, not only commits, and hold each
   * change's effects (sends, pushes, replies) until it is stored, so nothing a device or
   * controller was told can be lost with this node. A write that fails (a newer owner fenced it)
   * stops the session and calls `lost`; the effects waiting on it are dropped.
   */
  durable?: { save(state: PersistState): Promise<void>; lost(err: unknown): void };
  /** The session has had no device for its idle time: the host may stop it. */
  idle(): void;
  onError(err: unknown): void;
  /** A session restored from the store (its deadlines are re-armed from its context). */
  restored?: RestoredState;
  /** Watches what the session does, for metrics and logs (see SessionObserver). */
  observer?: SessionObserver;
}

/**
 * What the host sees of a session: every input, every command answered, every traced effect
 * (transfer phases). Called on the hot path: implementations only count and time.
 */
export interface SessionObserver {
  input(event: SessionEvent): void;
  replied(result: CommandResult): void;
  traced(effect: Extract<Effect, { type: 'trace' }>): void;
}

import type { Command, CommandResult } from '@handoff/protocol';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock.ts';
import type { HubSettings } from '../hub-settings.ts';
import type { Log } from '../log.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Session } from '../session/session.ts';
import type { TraceLog } from '../trace/trace-log.ts';
import type { Ownership } from './ownership.ts';
import type { SessionOwner } from './placement.ts';
import type { TraceStreams } from './trace-streams.ts';

/** What a Mesh needs of its node's Hub: the sessions open here, and running a command on one. */
export interface MeshHost {
  readonly settings: HubSettings;
  readonly metrics: Metrics;
  /** This node's trace ring. */
  readonly trace: TraceLog;
  /** The user's session if it is open here, without opening one. */
  openSession(userId: string): Session | null;
  /** Open the user's session here under its partition's lease (durable, fenced writes). */
  takeSession(userId: string, owner: SessionOwner): Promise<Session>;
  /** Stop the user's session here without writing; its HTTP waiters hear at once (SESSION_MOVED). */
  dropSession(userId: string): void;
  /** Run a command on a session open here, answered within `timeoutMs` (COMMAND_TIMEOUT after). */
  commandOn(session: Session, command: Command, origin: string, timeoutMs: number): Promise<CommandResult>;
}

/**
 * What a Mesh is built from (server/src/start-hub.ts): this node's name, the Bus and the
 * Ownership record it shares with the other nodes, and its timings.
 */
export interface MeshOptions {
  nodeId: string;
  bus: Bus;
  ownership: Ownership;
  log: Log;
  /** PARTITIONS: how many partitions users hash into, the same on every node. @default 1024 */
  partitions?: number;
  /** How long a partition lease (and a membership) lasts without a tick: about the longest a dead node's users wait for a new owner. */
  leaseTtlMs: number;
  /** Trace events in Redis streams: numbering goes on across owners, viewers watch from any node. */
  traces?: TraceStreams;
  /** How often the nodes this one talks to are checked for life. @default 500 */
  livenessMs?: number;
  /**
   * An owner silent this long (no answer to pings: dead, frozen or cut off) is looked past: its
   * users' owner is found again, which waits for its lease to lapse; its devices linked to sessions
   * here start their grace period; events it did not acknowledge go to the new owner. @default 1500
   */
  nodeGoneAfterMs?: number;
  /** Time for liveness and calls. @default systemClock */
  clock?: Clock;
}

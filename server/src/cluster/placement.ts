import type { Cluster, Command, CommandResult } from '@handoff/protocol';
import type { Session } from '../session/session.ts';
import type { SessionPort } from '../session/session-port.ts';

/** A viewer watching a user's trace on this node: `ready` once this node's ring has caught up. */
export interface TraceWatch {
  ready: Promise<void>;
  stop(): void;
}

/**
 * Where users' sessions run: all on this node (LocalPlacement, the default), or on many nodes
 * (cluster/mesh.ts). The Hub asks it whatever depends on where a session runs.
 */
export interface Placement {
  /** Begin: listen to the other nodes. */
  start(): Promise<void>;
  /** The port a device connection of this user talks to, once it is known where the session runs. */
  portFor(userId: string): Promise<SessionPort>;
  /** Run a command on the user's session, wherever it runs. */
  command(userId: string, command: Command, origin: string): Promise<CommandResult>;
  cluster(userId: string): Promise<Cluster>;
  /** The user's cluster as this node last saw it, without asking anyone (null when it saw none). */
  knownCluster(userId: string): Cluster | null;
  /** The user's cluster from whichever node runs the session, without opening one (null when none does). */
  peekCluster(userId: string): Promise<Cluster | null>;
  /** The hub stopped the user's session after its idle time. */
  sessionClosed(userId: string, session: Session): void;
  /** Keep this node's trace ring of the user in step with the user's owner while a viewer watches (null: one node, nothing to follow). */
  watchTrace(userId: string): TraceWatch | null;
  /** Stop taking sessions and hand the ones here to other nodes. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** Many nodes: the partition lease a session is opened under (Hub.takeSession). */
export interface SessionOwner {
  /** Fencing token of the partition's lease: the restore claims the session with it, every write carries it. */
  token: number;
  node: string;
  /** A write was refused or failed: the session stopped here. */
  lost(err: unknown): void;
}

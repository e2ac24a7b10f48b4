import type { Cluster, Command, CommandResult } from '@handoff/protocol';
import type { Placement, TraceWatch } from './cluster/placement.ts';
import { toCluster } from './session/context.ts';
import type { Session } from './session/session.ts';
import type { SessionPort } from './session/session-port.ts';

/** What LocalPlacement needs of the hub. */
export interface LocalHost {
  sessionFor(userId: string): Promise<Session>;
  commandOn(session: Session, command: Command, origin: string): Promise<CommandResult>;
}

/**
 * One node: every session runs here. The Placement the Hub uses when there is no Mesh, so the
 * Hub has one code path for both.
 */
export class LocalPlacement implements Placement {
  constructor(private readonly hub: LocalHost) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  portFor(userId: string): Promise<SessionPort> {
    return this.hub.sessionFor(userId);
  }

  async command(userId: string, command: Command, origin: string): Promise<CommandResult> {
    return this.hub.commandOn(await this.hub.sessionFor(userId), command, origin);
  }

  async cluster(userId: string): Promise<Cluster> {
    return toCluster((await this.hub.sessionFor(userId)).context);
  }

  /** A session not open here runs nowhere. */
  knownCluster(): Cluster | null {
    return null;
  }

  peekCluster(): Promise<Cluster | null> {
    return Promise.resolve(null);
  }

  sessionClosed(): void {}

  /** Every trace event is in this hub's ring already. */
  watchTrace(): TraceWatch | null {
    return null;
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

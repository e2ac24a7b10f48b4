import type { HubMessage, TraceExtraOf, TraceKind } from '@handoff/protocol';
import type { SessionEvent } from './events.ts';
import type { DeviceLink } from './device-link.ts';

/** Where the events recorded while handling one input come from. */
export interface Cause {
  correlationId?: string;
  parentSeq?: number;
}

/** A trace record relayed between nodes: a typed `traceEvent` call, as data (see `Session.traceRelayed`). */
export interface TraceExtra {
  deviceId?: string;
  /** A push: the devices the one message went to. */
  recipients?: string[];
  correlationId?: string;
  payload?: unknown;
  from?: string;
  to?: string;
  size?: number;
}

/** A device connection on this node: a DeviceLink with its connection id, whose `send` needs only the text. */
export interface LocalLink extends DeviceLink {
  readonly id: string;
  send(text: string, message?: HubMessage): void;
  /**
   * Many nodes: the session stopped where it ran (lost, handed over) and will not answer the
   * commands the device still waits on: answer them now (COMMAND_TIMEOUT, may still take effect).
   */
  releaseWaiting?(): void;
}

/**
 * What a device connection needs of its user's session. On one node that is the Session itself;
 * on many, a route to the node that owns it (cluster/routed-session.ts).
 */
export interface SessionPort {
  /** Route the device's messages to `link`; returns the link it replaces, if any. */
  link(deviceId: string, link: LocalLink): DeviceLink | undefined;
  unlink(deviceId: string, link: LocalLink): void;
  /** Feed one event; `cause` links what it produces to the trace event that brought it. */
  send(event: SessionEvent, cause?: Cause): void;
  /** Record a trace event for this user; returns its seq (to use as a cause's parentSeq). */
  traceEvent<K extends TraceKind, T extends string>(kind: K, type: T, extra?: TraceExtraOf<K, T>): number;
  /** Whether the device may join: known already, or the user is under `maxDevices`. */
  admits(deviceId: string, maxDevices: number): boolean;
}

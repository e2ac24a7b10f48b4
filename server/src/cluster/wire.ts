import type { Cluster, Command, CommandResult, TraceKind } from '@handoff/protocol';
import type { SessionEvent } from '../session/events.ts';
import type { Cause, TraceExtra } from '../session/session-port.ts';

/**
 * An event (or a trace record) of a user's session, sent by the node where the device is
 * connected to the node that owns the session. `n` numbers the items of one user on one node;
 * a cause's `parentSeq` of `-n` means "the seq the owner gives to trace item n".
 */
export interface EventItem {
  t: 'ev';
  u: string;
  n: number;
  ev?: SessionEvent;
  cause?: Cause;
  tr?: { kind: TraceKind; type: string; extra?: TraceExtra };
  /** With a device.join: when the connection joined (its hello), to order joins sent again after a takeover. */
  at?: number;
  /** A connection's current switch lead (ms), sent when its clock estimate changed. */
  lead?: { c: string; ms: number };
}

/** What nodes say to each other, batched per destination in an Envelope on its inbox channel. */
export type Item =
  | EventItem
  /** Owner -> device's node: write this text to connection `c` (`r`: the revision of the cluster it carries). */
  | { t: 'out'; u: string; c: string; x: string; r?: number }
  /** Owner -> device's node: close connection `c`. */
  | { t: 'close'; c: string; code: number; reason: string }
  /** "Not mine": the events come back to their sender, which finds the owner and sends them again. */
  | { t: 'bounce'; u: string; items: EventItem[] }
  /** The owner let go of the user's session (drained, lost its lease): find the owner again. */
  | { t: 'moved'; u: string }
  /** The owner does not know this node's devices of the user (it restarted): join them again. */
  | { t: 'rejoin'; u: string }
  /** A command from HTTP on another node; answered with `res`. */
  | { t: 'cmd'; u: string; id: string; command: Command; origin: string }
  | { t: 'res'; id: string; result: CommandResult }
  /** A read of the user's cluster; answered with `cluster`. */
  | { t: 'read'; u: string; id: string }
  | { t: 'cluster'; id: string; cluster: Cluster | null }
  /** Are you there (and not frozen)? Answered with `pong`; anything received from a node shows it is alive. */
  | { t: 'ping'; id: string }
  | { t: 'pong'; id: string };

/** The version of the node-to-node wire: an inbox drops envelopes of another version (a rolling restart across a change). */
export const WIRE_VERSION = 2;

/**
 * One publish to a node's inbox: the items, numbered per destination (`seq`, within the sender's
 * incarnation `inc`), with the last envelope the sender received from that node (`ack`), so the
 * destination knows which of its events arrived (outbox.ts).
 */
export interface Envelope {
  v: number;
  from: string;
  inc: string;
  seq: number;
  ack?: { inc: string; seq: number };
  items: Item[];
}

/** A node's inbox: where every other node sends it items. */
export const inbox = (nodeId: string) => `node:{${nodeId}}`;

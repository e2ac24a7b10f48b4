import { z } from 'zod';
import type { Command } from './commands.ts';
import type { ErrorCode } from './errors.ts';
import type { CommandResult, DeviceMessage, HubMessage } from './messages.ts';

export const TRACE_FORMAT_VERSION = 1;

export const TraceKind = z.enum([
  'message.in',
  'message.out',
  'transition',
  'timer.armed',
  'timer.fired',
  'timer.cancelled',
  'transfer.phase',
  'command.result',
  'error',
  'connection',
  'presence',
  'clock',
]);
export type TraceKind = z.infer<typeof TraceKind>;

/**
 * The envelope of a trace event on the wire: what every event has, with its payload unchecked.
 * The hub records only the typed bodies below, so the envelope is all a reader must check.
 */
export const TraceEvent = z.object({
  /** Per user, strictly increasing. */
  seq: z.number().int().min(1),
  /** Server time (ms since epoch, fractional). */
  ts: z.number(),
  userId: z.string(),
  /** The device it concerns; absent for the hub itself. */
  deviceId: z.string().optional(),
  kind: TraceKind,
  /** Message type, timer name, phase or connection event. */
  type: z.string(),
  /** The command or transfer it belongs to. */
  correlationId: z.string().optional(),
  /** The event that caused this one. */
  parentSeq: z.number().int().optional(),
  payload: z.unknown().optional(),
  /**
   * A message sent to several devices at once (a cluster push): the devices it went to, in one
   * event instead of one per device. `deviceId` is then absent.
   */
  recipients: z.array(z.string()).optional(),
  /** For transitions: the state before and after. */
  from: z.string().optional(),
  to: z.string().optional(),
});

// ---------------------------------------------------------------- bodies, kind by kind

/** A command as the hub traced it when it came in over HTTP: the command and who sent it. */
export type HttpCommandPayload = Command & { origin?: string };

/** Transfer phases (`session/transfer.ts`), keyed by phase. */
export interface TransferPhasePayloads {
  /** A transfer's start; a device joining a playing group names the group as target and itself in `join`. */
  prepare: { commandId?: string; sourceId?: string | null; targetId: string; play: boolean; join?: string[] };
  'switch-scheduled': { atServerTime: number; positionMs: number; leadMs: number };
  committed: { durationMs: number; sourceId: string | null };
  'rolled-back': { code: ErrorCode; message: string };
}

/** Presence changes (`session/presence.ts`, `device-connection.ts`), keyed by type. */
export interface PresencePayloads {
  joined: undefined;
  online: undefined;
  reconnected: undefined;
  'session-rebuilt': undefined;
  disconnected: undefined;
  goodbye: undefined;
  offline: undefined;
  /** No frame for 1.5 heartbeats. */
  silent: { silentMs: number; heartbeatMs: number };
  'heard-again': { silentMs: number };
}

/** Connection events (`device-connection.ts`, `cluster/remote-devices.ts`), keyed by type. */
export interface ConnectionPayloads {
  opened: { connId: string };
  /** `by`: who closed it; the hub's close code and reason when it was the hub. */
  closed: { connId: string; by: 'hub' | 'device'; code?: number; reason?: string };
  /** Many nodes: the node holding the device's socket is gone. */
  'node-lost': { node: string; connId: string };
}

type Keyed<K extends string, M> = { [T in keyof M & string]: { kind: K; type: T } & PayloadField<M[T]> }[keyof M & string];
type PayloadField<P> = undefined extends P ? { payload?: P } : { payload: P };

/**
 * What a trace event says, kind by kind: a discriminated union on `kind` (and on `type` where the
 * type names a fixed set). The hub records these, the metrics read them and the viewer derives
 * from them, so a payload field renamed in one place fails the typecheck in the others.
 * A new kind or type: add a member here (or a key to its payload map).
 */
export type TraceBody =
  | { kind: 'message.in'; type: string; payload: DeviceMessage | HttpCommandPayload }
  | { kind: 'message.out'; type: string; payload: HubMessage }
  /** `type` is the event that moved the machine; `restored` when a session came back from the store. */
  | { kind: 'transition'; type: string; from?: string; to: string; payload?: { revision: number } }
  | { kind: 'timer.armed'; type: string; payload: { at: number; inMs: number } }
  /** The payload is the machine event the deadline sends. */
  | { kind: 'timer.fired'; type: string; payload?: unknown }
  | { kind: 'timer.cancelled'; type: string; payload: { at: number } }
  | Keyed<'transfer.phase', TransferPhasePayloads>
  /** `type` is `ok` or the error code. */
  | { kind: 'command.result'; type: string; payload: CommandResult }
  /** `type` is the error code; `session.recovered` when a transition threw and the session went on. */
  | { kind: 'error'; type: string; payload: { message: string; ref?: string | undefined; commandId?: string | undefined } | { event: string } }
  | Keyed<'connection', ConnectionPayloads>
  | Keyed<'presence', PresencePayloads>
  | Keyed<'clock', ClockPayloads>;

/** Clock events, keyed by type: the hub's estimate of a device's clock, a group member's measured drift. */
export interface ClockPayloads {
  estimate: { type: 'clock.sync'; offsetMs: number; errorMs: number; rttMs: number };
  drift: { driftMs: number; groupId: string };
}

/** What every event carries besides its body. */
export interface TraceMeta {
  seq: number;
  ts: number;
  userId: string;
  deviceId?: string;
  /** A message sent to several devices at once (a cluster push): the devices it went to; `deviceId` is then absent. */
  recipients?: string[];
  correlationId?: string;
  parentSeq?: number;
}

/** One thing that happened to one user's session, as the viewer and exports see it. */
export type TraceEvent = TraceMeta & TraceBody;

/** A trace event before the log numbers and stamps it. */
export type TraceNote = Omit<TraceMeta, 'seq' | 'ts' | 'userId'> & TraceBody;

/** The body of one kind (and type). */
export type TraceBodyOf<K extends TraceKind, T extends string = string> = Extract<TraceBody, { kind: K }> extends infer B
  ? B extends { type: infer BT }
    ? T extends BT
      ? B
      : never
    : never
  : never;

/** Omit that keeps a union a union. */
type OmitEach<U, K extends PropertyKey> = U extends unknown ? Omit<U, K> : never;

/**
 * What a recorder passes besides kind and type (`Session.traceEvent(kind, type, extra)`): the
 * body's payload (and from/to) for that kind and type, so the call is checked against the union.
 */
export type TraceExtraOf<K extends TraceKind, T extends string> = OmitEach<TraceBodyOf<K, T>, 'kind' | 'type'> & {
  deviceId?: string;
  recipients?: string[];
  correlationId?: string;
  /** The payload as the hub sent it (its JSON), when the recorder has it: a listener's text reuses it instead of serializing the payload again. */
  payloadText?: string;
};

/** A trace body as the session machine returns it in a `trace` effect: its type is called `name`. */
export type TraceEffectBody = TraceBody extends infer B ? (B extends { type: infer T } ? Omit<B, 'type'> & { name: T } : never) : never;

/** Narrow an event to one kind (and type), for readers that pick events out of a list. */
export function isTrace<K extends TraceKind, T extends string>(
  e: TraceEvent,
  kind: K,
  type?: T,
): e is TraceEvent & TraceMeta & TraceBodyOf<K, T> {
  return e.kind === kind && (type === undefined || e.type === type);
}

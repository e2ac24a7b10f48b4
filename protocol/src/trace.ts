import { z } from 'zod';

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

/** One thing that happened to one user's session, as the viewer and exports see it. */
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
export type TraceEvent = z.infer<typeof TraceEvent>;

import { Cluster, Command, CommandResult, TraceKind } from '@handoff/protocol';
import { z } from 'zod';
import type { SessionEvent } from '../session/events.ts';
import type { Envelope } from './wire.ts';

/**
 * The node-to-node wire as a schema, parsed once where an envelope enters a node (the Mesh's
 * inbox), so nothing inside acts on a shape it did not expect, even from a node of another
 * release. Commands, results and clusters are the protocol's own schemas. A session event was
 * parsed as a DeviceMessage at the device's node and built there; here it is checked for what
 * the owner dispatches on (an object with a `type`), and the session machine ignores a type it
 * does not know.
 */
const sessionEvent = z.custom<SessionEvent>((v) => typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string', 'not a session event');

const id = z.string().min(1).max(256);
const cause = z.object({ correlationId: z.string().optional(), parentSeq: z.number().int().optional() });
const traceExtra = z.object({
  deviceId: z.string().optional(),
  correlationId: z.string().optional(),
  payload: z.unknown().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  size: z.number().optional(),
});

const EventItem = z.object({
  t: z.literal('ev'),
  u: id,
  n: z.number().int(),
  ev: sessionEvent.optional(),
  cause: cause.optional(),
  tr: z.object({ kind: TraceKind, type: z.string(), extra: traceExtra.optional() }).optional(),
  at: z.number().optional(),
  lead: z.object({ c: id, ms: z.number() }).optional(),
});

const Item = z.discriminatedUnion('t', [
  EventItem,
  z.object({ t: z.literal('out'), u: id, c: id, x: z.string(), r: z.number().int().optional() }),
  z.object({ t: z.literal('close'), c: id, code: z.number().int(), reason: z.string() }),
  z.object({ t: z.literal('bounce'), u: id, items: z.array(EventItem) }),
  z.object({ t: z.literal('moved'), u: id }),
  z.object({ t: z.literal('rejoin'), u: id }),
  z.object({ t: z.literal('cmd'), u: id, id, command: Command, origin: z.string() }),
  z.object({ t: z.literal('res'), id, result: CommandResult }),
  z.object({ t: z.literal('read'), u: id, id }),
  z.object({ t: z.literal('cluster'), id, cluster: Cluster.nullable() }),
  z.object({ t: z.literal('ping'), id }),
  z.object({ t: z.literal('pong'), id }),
]);

export const EnvelopeSchema = z.object({
  v: z.number().int(),
  from: id,
  inc: z.string().min(1).max(64),
  seq: z.number().int().min(1),
  ack: z.object({ inc: z.string(), seq: z.number().int() }).optional(),
  items: z.array(Item),
});

/** What `text` from an inbox is: an envelope of this version, or why not (its version, when that is what differs). */
export function readEnvelope(text: string, version: number): { envelope: Envelope } | { error: string; from?: string; version?: unknown } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'not JSON' };
  }
  const head = (typeof raw === 'object' && raw !== null ? raw : {}) as { v?: unknown; from?: unknown };
  const from = typeof head.from === 'string' ? head.from : undefined;
  if (head.v !== version) return { error: 'another wire version', version: head.v, ...(from ? { from } : {}) };
  const parsed = EnvelopeSchema.safeParse(raw);
  if (!parsed.success) return { error: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), ...(from ? { from } : {}) };
  return { envelope: parsed.data satisfies Envelope };
}

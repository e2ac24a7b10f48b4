import { z } from 'zod';
import { Cluster } from './messages.ts';
import { TRACE_FORMAT_VERSION, TraceEvent } from './trace.ts';
import type { TraceEvent as TypedTraceEvent } from './trace.ts';

/**
 * The trace socket, `/v1/trace?user=U&sinceSeq=N` (viewer token of U, or an admin token).
 * The hub sends a hello with the user's cluster now, then every event with seq > sinceSeq
 * (backlog), then live events as they happen, in batches. A viewer that fell behind gets a gap
 * marker naming the events it missed; it can fetch them from the export endpoint.
 */
/** What one device was doing, as the trace told it up to some event (the viewer's starting point). */
export const DeviceBaseline = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  /** Has a live connection. */
  connected: z.boolean(),
  /** Online in the cluster (connected, or within its grace period). */
  online: z.boolean(),
  active: z.boolean(),
  /** Producing sound, as far as the hub told it to. */
  playing: z.boolean(),
  volume: z.number().nullable(),
  /** The newest cluster revision the hub sent it. */
  revision: z.number().int().nullable(),
  /** Clock estimate (device - server) and its error bound, ms. */
  offsetMs: z.number().nullable(),
  errorMs: z.number().nullable(),
  /** Its role in the transfer in flight. */
  role: z.enum(['target', 'source']).nullable(),
  heartbeatMs: z.number().nullable(),
});
export type DeviceBaseline = z.infer<typeof DeviceBaseline>;

/** A device the trace has named but told nothing else of yet: the hub's baseline and the viewer's world start each device here. */
export const blankDeviceBaseline = (id: string): DeviceBaseline => ({
  id,
  name: id,
  kind: '?',
  connected: false,
  online: false,
  active: false,
  playing: false,
  volume: null,
  revision: null,
  offsetMs: null,
  errorMs: null,
  role: null,
  heartbeatMs: null,
});

/**
 * The state of every device and of the session machine right before the oldest event the hub
 * still holds: what the evicted events had said. A viewer starts from it, so a busy user's short
 * history still shows who is connected, playing and in sync.
 */
export const TraceBaseline = z.object({
  /** Everything up to and including this seq is folded in (0: nothing was evicted). */
  throughSeq: z.number().int().min(0),
  machine: z.string(),
  /** The transfer in flight then, if any. */
  transferId: z.string().nullable(),
  devices: z.array(DeviceBaseline),
});
export type TraceBaseline = z.infer<typeof TraceBaseline>;

export const TraceHello = z.object({
  type: z.literal('trace.hello'),
  formatVersion: z.literal(TRACE_FORMAT_VERSION),
  userId: z.string(),
  /** The user's latest seq when the socket opened. */
  lastSeq: z.number().int().min(0),
  serverTime: z.number(),
  cluster: Cluster.nullable(),
  /**
   * Which life of the trace this is: new when the hub restarted or the session moved to another
   * node. Seqs of two boots are never comparable; a viewer that sees a new one starts a new run.
   */
  bootId: z.string(),
  baseline: TraceBaseline,
});

export const TraceBatch = z.object({
  type: z.literal('trace.events'),
  events: z.array(TraceEvent),
});

/** Events fromSeq..toSeq (inclusive) were not sent: evicted from the ring, or the viewer was too slow. */
export const TraceGap = z.object({
  type: z.literal('trace.gap'),
  fromSeq: z.number().int(),
  toSeq: z.number().int(),
  reason: z.enum(['evicted', 'slow-viewer']),
});

export const ViewerMessage = z.discriminatedUnion('type', [TraceHello, TraceBatch, TraceGap]);
export type TraceHello = z.infer<typeof TraceHello>;
/** The events are the hub's typed trace events (the schema checks only their envelope). */
export type TraceBatch = { type: 'trace.events'; events: TypedTraceEvent[] };
export type TraceGap = z.infer<typeof TraceGap>;
export type ViewerMessage = TraceHello | TraceBatch | TraceGap;

/** `GET /v1/info` (public): what a viewer needs to know before signing in. */
export const HubInfo = z.object({
  /** No secret configured: `POST /v1/dev/token` mints tokens, so the viewer offers a user picker. */
  devMode: z.boolean(),
  protocolVersion: z.number().int(),
  traceFormatVersion: z.number().int(),
  nodeId: z.string().optional(),
  /** With AUTH_ISSUER and AUTH_VIEWER_CLIENT_ID: the viewer offers "Sign in with <issuer>" (Authorization Code with PKCE). */
  oidc: z
    .object({
      issuer: z.string(),
      clientId: z.string(),
      /** Asked for as the RFC 8707 `resource`, so the access token's `aud` is the hub. */
      audience: z.string(),
      scope: z.string(),
    })
    .optional(),
});
export type HubInfo = z.infer<typeof HubInfo>;

/**
 * Parse a frame of the trace socket (tests and Node readers; the viewer keeps zod out of its
 * bundle). The schema checks each event's envelope; its body is the hub's own typed record.
 */
export function parseViewerMessage(text: string): ViewerMessage {
  return ViewerMessage.parse(JSON.parse(text)) as ViewerMessage;
}

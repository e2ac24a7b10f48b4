import { z } from 'zod';
import { Cluster } from './messages.ts';
import { TRACE_FORMAT_VERSION, TraceEvent } from './trace.ts';

/**
 * The trace socket, `/v1/trace?user=U&sinceSeq=N` (viewer token of U, or an admin token).
 * The hub sends a hello with the user's cluster now, then every event with seq > sinceSeq
 * (backlog), then live events as they happen, in batches. A viewer that fell behind gets a gap
 * marker naming the events it missed; it can fetch them from the export endpoint.
 */
export const TraceHello = z.object({
  type: z.literal('trace.hello'),
  formatVersion: z.literal(TRACE_FORMAT_VERSION),
  userId: z.string(),
  /** The user's latest seq when the socket opened. */
  lastSeq: z.number().int().min(0),
  serverTime: z.number(),
  cluster: Cluster.nullable(),
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
export type ViewerMessage = z.infer<typeof ViewerMessage>;
export type TraceHello = z.infer<typeof TraceHello>;
export type TraceBatch = z.infer<typeof TraceBatch>;
export type TraceGap = z.infer<typeof TraceGap>;

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

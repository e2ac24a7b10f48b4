import type { Cluster, DeviceInfo, Position, TraceEvent } from '@handoff/protocol';

export type {
  Cluster,
  DeviceBaseline,
  DeviceInfo,
  ErrorCode,
  HubInfo,
  Position,
  TraceBaseline,
  TraceEvent,
  TraceKind,
  TraceHello,
  ViewerMessage,
} from '@handoff/protocol';

/** The lane of an event: its device, or the hub. */
export const HUB = '·hub';
export const laneOf = (e: TraceEvent) => e.deviceId ?? HUB;

/** Position at server time `at` (the protocol's rule; types only are imported, so zod stays out of the bundle). */
export function positionAt(p: Position, at: number, durationMs = Infinity): number {
  return Math.min(durationMs, p.positionMs + Math.max(0, at - p.atServerTime) * p.rate);
}

export type { DeviceInfo as Device };
export type ClusterSnapshot = Cluster;

/** A gap in what we have: events the hub did not send (evicted from its ring, or we were too slow). */
export interface Gap {
  fromSeq: number;
  toSeq: number;
  reason: string;
}

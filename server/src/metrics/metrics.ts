import type { ErrorCode } from '@handoff/protocol';

/**
 * How this node's hold on a partition changed (many nodes): `acquired` a free one (released by
 * its holder, or never held), `taken-over` one whose holder (another node) let its lease lapse
 * (died, stalled or cut off), `released` one handed over, `lost` one another node took while
 * this node still counted it as held.
 */
export type PartitionChange = 'acquired' | 'taken-over' | 'released' | 'lost';

/** Where a request was refused before it reached a session. */
export type RefusalSource = 'device' | 'http' | 'upgrade' | 'accept';

/**
 * What the hub counts and times, for `/metrics`. Every method is called on the hot path or near
 * it, so implementations only add to numbers: no labels built, no strings, no I/O. Labels are
 * bounded sets (codes, outcomes, endpoints), never a user or device id.
 */
export interface Metrics {
  /** A command was answered, `ok` or refused with `code`, `ms` after it arrived (undefined: not known). */
  commandDone(code: 'ok' | ErrorCode, ms: number | undefined): void;
  /** A transfer that reached the prepare phase ended: committed (`ok`) or rolled back with `code`. */
  transferDone(code: 'ok' | ErrorCode, ms: number | undefined): void;
  /**
   * How late the target started against the scheduled switch time (negative: early, an overlap).
   * `reported`: from the device's own `atServerTime`; `arrival`: from when its `transfer.started`
   * arrived (devices that do not report it; includes the network delay back).
   */
  switchLateness(ms: number, measured: 'reported' | 'arrival'): void;
  /** A device's clock estimate changed; `errorMs` is its error bound. */
  clockEstimate(errorMs: number): void;
  /** A frame or request refused at the edge (validation, rate limit, auth) with `code`. */
  refused(source: RefusalSource, code: ErrorCode): void;
  /** The hub closed a device socket with this close code. */
  deviceClosed(code: number): void;
  /** A socket was accepted on `endpoint` (a route path, e.g. `/v1/connect`), or closed. */
  socketOpened(endpoint: string): void;
  socketClosed(endpoint: string): void;
  /** One Redis round trip took `ms` (for the Redis store, bus and leases to call). */
  redisRtt(ms: number): void;
  /** `count` partitions changed hands this way on this node in one ownership tick (for the cluster code to call). */
  partitionsChanged(change: PartitionChange, count: number): void;
  /**
   * Many nodes: a command was sent on to the node that owns the user's partition (it arrived on
   * another one): `http` from the HTTP API, `device` from a device socket.
   */
  commandCrossedNodes(via: 'http' | 'device'): void;
  /** A viewer's trace socket could not keep up: the stream dropped what it held and reads the ring again once it drains. */
  viewerFellBehind(): void;
}

/** Metrics that go nowhere: the default for hubs built without `/metrics` (unit tests, benchmarks). */
export const noopMetrics: Metrics = {
  commandDone: () => {},
  transferDone: () => {},
  switchLateness: () => {},
  clockEstimate: () => {},
  refused: () => {},
  deviceClosed: () => {},
  socketOpened: () => {},
  socketClosed: () => {},
  redisRtt: () => {},
  partitionsChanged: () => {},
  commandCrossedNodes: () => {},
  viewerFellBehind: () => {},
};

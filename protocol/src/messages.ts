import { z } from 'zod';
import { Command } from './commands.ts';
import { Capabilities, DeviceId, DeviceInfo, DeviceKind } from './device.ts';
import { ErrorCode } from './errors.ts';
import { GroupInfo } from './groups.ts';
import { Playback, Position } from './playback.ts';

const TransferId = z.string().min(1).max(128);

/** The user's whole state as every device sees it. Pushed on every committed change. */
export const Cluster = z.object({
  userId: z.string(),
  /** Bumped on every committed change; devices ignore anything older than what they have. */
  revision: z.number().int().min(0),
  activeDeviceId: DeviceId.nullable(),
  devices: z.array(DeviceInfo),
  playback: Playback,
  /** The user's groups (absent from hubs that have none); `activeDeviceId` may name one. */
  groups: z.array(GroupInfo).optional(),
});
export type Cluster = z.infer<typeof Cluster>;

// ---------------------------------------------------------------- device -> hub

export const DeviceHello = z.object({
  type: z.literal('device.hello'),
  protocolVersion: z.number().int(),
  device: z.object({
    id: DeviceId,
    name: z.string().min(1).max(128),
    kind: DeviceKind,
    capabilities: Capabilities,
    volume: z.number().int().min(0).max(100).optional(),
  }),
  /**
   * What the device last knew, so a hub that lost its memory (restart) can rebuild the session:
   * the last cluster revision it applied, whether it is producing sound now, and what it plays.
   */
  resume: z
    .object({
      revision: z.number().int().min(0),
      playing: z.boolean(),
      playback: Playback,
      /** Whether this device was `activeDeviceId` in that cluster (so a paused session comes back with its device). */
      active: z.boolean().optional(),
    })
    .optional(),
});

export const ClockPong = z.object({
  type: z.literal('clock.pong'),
  pingId: z.number().int(),
  /** Hub send time, echoed. */
  t0: z.number(),
  /** Device receive time, device clock. */
  t1: z.number(),
  /** Device send time, device clock. */
  t2: z.number(),
});

/**
 * `ClockPong.safeParse(raw)` for the one message a device sends most (a burst of them on every
 * connect, one per heartbeat after): the same checks by hand, without zod's machinery. Null when
 * `raw` is not a valid pong, so the caller parses it the usual way and reports why.
 */
export function clockPongOf(raw: unknown): ClockPong | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { type, pingId, t0, t1, t2 } = raw as Record<string, unknown>;
  if (type !== 'clock.pong' || !Number.isSafeInteger(pingId) || !isNumber(t0) || !isNumber(t1) || !isNumber(t2)) return null;
  return { type, pingId: pingId as number, t0, t1, t2 };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const TransferReady = z.object({ type: z.literal('transfer.ready'), transferId: TransferId });
export const TransferFailed = z.object({
  type: z.literal('transfer.failed'),
  transferId: TransferId,
  reason: z.string().max(256),
});
export const TransferStarted = z.object({
  type: z.literal('transfer.started'),
  transferId: TransferId,
  /** When sound really started, in server time as the device estimates it (traces show it against the scheduled time). */
  atServerTime: z.number().optional(),
});
/**
 * A group member's report of where its sound is: `positionMs` at server time `atServerTime`
 * (its own estimate). Sent with the answer to a clock ping while it plays in a group; the hub
 * re-seeks a member that drifted (`playback.resync`).
 */
export const PlaybackReport = z.object({
  type: z.literal('playback.report'),
  positionMs: z.number().min(0),
  atServerTime: z.number(),
});
/** The device is leaving on purpose (shutdown): offline now, no grace period. */
export const DeviceGoodbye = z.object({ type: z.literal('device.goodbye') });

export const DeviceMessage = z.discriminatedUnion('type', [
  DeviceHello,
  ClockPong,
  TransferReady,
  TransferFailed,
  TransferStarted,
  DeviceGoodbye,
  PlaybackReport,
  ...Command.options,
]);
export type DeviceMessage = z.infer<typeof DeviceMessage>;
export type DeviceHello = z.infer<typeof DeviceHello>;
export type ClockPong = z.infer<typeof ClockPong>;

// ---------------------------------------------------------------- hub -> device

export const HubWelcome = z.object({
  type: z.literal('hub.welcome'),
  protocolVersion: z.number().int(),
  deviceId: DeviceId,
  serverTime: z.number(),
  /** The hub pings about this often; a device that hears nothing for 3 intervals reconnects. */
  heartbeatMs: z.number().int().positive(),
  /**
   * How long the hub keeps a vanished device's role. A device that has heard nothing from any
   * hub for this long must go silent: by then the hub has given its role away, and paused the
   * position line at the moment the device fell silent.
   */
  graceMs: z.number().int().min(0),
  /**
   * The device URL of the hub node that runs this user's session (its `PUBLIC_URL`), when it has
   * one. A device welcomed on another node may move there once nothing is in flight (never in the
   * middle of a switch): then its commands cross no node.
   */
  ownerUrl: z.string().min(1).optional(),
  cluster: Cluster,
});

export const ClusterUpdate = z.object({
  type: z.literal('cluster.update'),
  reason: z.string(),
  cluster: Cluster,
});

export const ClockPing = z.object({ type: z.literal('clock.ping'), pingId: z.number().int(), t0: z.number() });

/** The hub's estimate of this device's clock: deviceTime = serverTime + offsetMs (+- errorMs). */
export const ClockSync = z.object({
  type: z.literal('clock.sync'),
  offsetMs: z.number(),
  errorMs: z.number(),
  rttMs: z.number(),
});

/** Load and buffer what the user plays, at the given position line, without producing sound. */
export const TransferPrepare = z.object({
  type: z.literal('transfer.prepare'),
  transferId: TransferId,
  playback: Playback,
  volume: z.number().int().min(0).max(100),
  /** Server time by which `transfer.ready` must have arrived. */
  deadline: z.number(),
});

/** At server time `atServerTime` the target starts at `positionMs` and the source stops. */
export const TransferSwitch = z.object({
  type: z.literal('transfer.switch'),
  transferId: TransferId,
  role: z.enum(['start', 'stop']),
  atServerTime: z.number(),
  positionMs: z.number(),
});

/** The transfer will not happen: the target unloads (or stops), the source keeps or resumes playing. */
export const TransferAbort = z.object({
  type: z.literal('transfer.abort'),
  transferId: TransferId,
  code: z.enum(ErrorCode),
  /**
   * Sent to a source that had already stopped: the position line it resumes on, the cluster's
   * unchanged one (`rate` 1: it plays on from where the line is now).
   */
  resumeAt: Position.optional(),
});

/** A member that drifted from its group: at server time `atServerTime` it plays `trackUri` from `positionMs`. */
export const PlaybackResync = z.object({
  type: z.literal('playback.resync'),
  trackUri: z.string(),
  atServerTime: z.number(),
  positionMs: z.number(),
});

export const CommandResult = z.discriminatedUnion('ok', [
  z.object({
    type: z.literal('command.result'),
    commandId: z.string(),
    ok: z.literal(true),
    revision: z.number().int(),
    /** `command.group.create`: the new group's id. */
    groupId: z.string().optional(),
    /** A transfer to a group: members left out because they were not ready in time (or failed). */
    leftOut: z.array(z.string()).optional(),
  }),
  z.object({
    type: z.literal('command.result'),
    commandId: z.string(),
    ok: z.literal(false),
    code: z.enum(ErrorCode),
    message: z.string(),
  }),
]);
export type CommandResult = z.infer<typeof CommandResult>;

export const HubError = z.object({
  type: z.literal('error'),
  code: z.enum(ErrorCode),
  message: z.string(),
  /** The `type` of the frame this answers, when it could be read. */
  ref: z.string().optional(),
  /**
   * The `commandId` of the command frame this answers, when it could be read: the command is
   * answered (and refused for good), so a device must not resend it.
   */
  commandId: z.string().optional(),
});

/** The hub is going away (drain): reconnect, to any hub. Playback continues meanwhile. */
export const HubReconnect = z.object({ type: z.literal('hub.reconnect'), reason: z.string() });

/** Every message the hub sends a device, told apart by `type` (a device ignores types and fields it does not know). */
export const HubMessage = z.discriminatedUnion('type', [
  HubWelcome,
  ClusterUpdate,
  ClockPing,
  ClockSync,
  TransferPrepare,
  TransferSwitch,
  TransferAbort,
  PlaybackResync,
  CommandResult,
  HubError,
  HubReconnect,
]);
export type HubMessage = z.infer<typeof HubMessage>;
export type HubWelcome = z.infer<typeof HubWelcome>;
export type ClusterUpdate = z.infer<typeof ClusterUpdate>;
export type TransferPrepare = z.infer<typeof TransferPrepare>;
export type TransferSwitch = z.infer<typeof TransferSwitch>;
export type TransferAbort = z.infer<typeof TransferAbort>;

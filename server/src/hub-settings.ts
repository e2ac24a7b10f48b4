import { CloseCode } from '@handoff/protocol';
import type { FrameGuardSettings } from './frame-guard.ts';
import { DEFAULT_SESSION_SETTINGS, type SessionSettings } from './session/settings.ts';

/** Connection-level settings of the hub; every value can be set from config. */
export interface HubSettings {
  session: SessionSettings;
  /** How often the hub pings each device (clock sync and liveness). @default 5000 */
  heartbeatMs: number;
  /**
   * The fastest a device clock may drift against the hub's, in ppm (crystals: tens): the clock
   * estimate allows this much between the exchanges it keeps until they show the actual rate. @default 200
   */
  clockMaxDriftPpm: number;
  /** A device silent for this many heartbeats is disconnected. @default 3 */
  missedHeartbeats: number;
  /** How long a new socket may take to send its hello. @default 10000 */
  helloTimeoutMs: number;
  /** A device whose unsent output passes this many bytes is disconnected as too slow. @default 1 MiB */
  maxBufferedBytes: number;
  /** How long an HTTP command may wait for its result. @default 15000 */
  commandTimeoutMs: number;
  /** Frames a device socket may send per second on average, and in a burst. @default 50 / 200 */
  framesPerSec: number;
  frameBurst: number;
  /** Commands one user may send per second (all devices together), and in a burst. @default 20 / 60 */
  commandsPerSec: number;
  commandBurst: number;
  /**
   * Commands a device socket may have refused `RATE_LIMITED` in one flood (until a second passes
   * without a refusal); one more closes it with 4029. Each refusal is answered, so a client that
   * heeds the first one's retry time never gets here. @default 20
   */
  commandRefusalsPerFlood: number;
  /** Open device sockets allowed from one source address. @default 512 */
  maxConnectionsPerAddress: number;
  /** Frames of one user handled per turn of the event loop; the rest wait for the next turn. @default 64 */
  framesPerUserPerTurn: number;
  /** When a socket that keeps breaking the protocol is closed (frame-guard.ts). */
  frameGuard: FrameGuardSettings;
}

export const DEFAULT_HUB_SETTINGS: HubSettings = {
  session: DEFAULT_SESSION_SETTINGS,
  heartbeatMs: 5000,
  clockMaxDriftPpm: 200,
  missedHeartbeats: 3,
  helloTimeoutMs: 10_000,
  maxBufferedBytes: 1024 * 1024,
  commandTimeoutMs: 15_000,
  framesPerSec: 50,
  frameBurst: 200,
  commandsPerSec: 20,
  commandBurst: 60,
  commandRefusalsPerFlood: 20,
  maxConnectionsPerAddress: 512,
  framesPerUserPerTurn: 64,
  frameGuard: { maxInvalidFrames: 20, windowMs: 10_000, closeCode: CloseCode.INVALID_FRAMES, maxFrameBytes: 16 * 1024 },
};

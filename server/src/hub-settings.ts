import { DEFAULT_SESSION_SETTINGS, type SessionSettings } from './session/settings.ts';

/** Connection-level settings of the hub; every value can be set from config. */
export interface HubSettings {
  session: SessionSettings;
  /** How often the hub pings each device (clock sync and liveness). @default 5000 */
  heartbeatMs: number;
  /** A device silent for this many heartbeats is disconnected. @default 3 */
  missedHeartbeats: number;
  /** How long a new socket may take to send its hello. @default 10000 */
  helloTimeoutMs: number;
  /** A device whose unsent output passes this many bytes is disconnected as too slow. @default 1 MiB */
  maxBufferedBytes: number;
  /** How long an HTTP command may wait for its result. @default 15000 */
  commandTimeoutMs: number;
}

export const DEFAULT_HUB_SETTINGS: HubSettings = {
  session: DEFAULT_SESSION_SETTINGS,
  heartbeatMs: 5000,
  missedHeartbeats: 3,
  helloTimeoutMs: 10_000,
  maxBufferedBytes: 1024 * 1024,
  commandTimeoutMs: 15_000,
};

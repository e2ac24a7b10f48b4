import type { Playback, Track } from '@handoff/protocol';

/**
 * What a device's audio side must do for the client. The client decides when; the player only
 * produces or stops sound. Real devices wrap their audio engine; simulated ones record truth.
 */
export interface PlayerPort {
  /** Load and buffer what `playback` says, without sound. Reject to fail the transfer. */
  prepare(playback: Playback, transferId: string): Promise<void>;
  /** Produce sound of `track` from `positionMs`, now; `transferId` names what caused it (a transfer, or `resync@T`). */
  start(track: Track, positionMs: number, transferId?: string): void;
  /** Silence, now. */
  stop(transferId?: string): void;
  readonly playing: boolean;
  readonly trackUri: string | null;
  /** Position of what plays now, in ms. */
  positionMs(): number;
  /** Set the output volume (0-100). Optional. */
  setVolume?(percent: number): void;
  /**
   * Optional, for players with their own clock (Web Audio, a DAC): schedule the switch on it, at
   * `atLocalMs` on the client's clock, instead of being called at that moment. A background tab's
   * timers can be a second late; an audio clock is not.
   */
  scheduleStart?(track: Track, positionMs: number, atLocalMs: number, transferId: string): void;
  scheduleStop?(atLocalMs: number, transferId: string): void;
}

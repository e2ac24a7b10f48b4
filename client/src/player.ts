import type { Playback, Track } from '@handoff/protocol';

/**
 * What a device's audio side must do for the client. The client decides when; the player only
 * produces or stops sound. Real devices wrap their audio engine; simulated ones record truth.
 */
export interface PlayerPort {
  /** Load and buffer what `playback` says, without sound. Reject to fail the transfer. */
  prepare(playback: Playback, transferId: string): Promise<void>;
  /** Produce sound of `track` from `positionMs`, now. */
  start(track: Track, positionMs: number, transferId?: string): void;
  /** Silence, now. */
  stop(transferId?: string): void;
  readonly playing: boolean;
  readonly trackUri: string | null;
  /** Position of what plays now, in ms. */
  positionMs(): number;
  /** Set the output volume (0-100). Optional. */
  setVolume?(percent: number): void;
}

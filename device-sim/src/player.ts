import type { PlayerPort } from '@handoff/client';
import type { Playback, Track } from '@handoff/protocol';
import { trueNow } from './true-clock.ts';

/** What a device actually did, on the true clock: the ground truth tests measure against. */
export interface Audible {
  type: 'start' | 'stop';
  /** True time at which sound started or stopped (when the device's timer really fired). */
  trueTime: number;
  trackUri: string;
  /** Track position at that moment, as the device played it. */
  positionMs: number;
  /**
   * How fast the sound runs against the true clock: 1 plus the device clock's drift (the player
   * plays on that clock). From a start, what a listener hears at true time t is
   * `positionMs + (t - trueTime) * rate` (`heardAt`).
   */
  rate: number;
  /** The transfer that caused it, when one did. */
  transferId?: string;
}

export interface LoadBehaviour {
  /** How long loading takes when asked to prepare. */
  loadDelayMs?: number | (() => number);
  /** Every load fails (a device that cannot play what it is given). */
  failLoad?: boolean;
}

/** What a listener hears at true time `trueTime` from a start (null after a stop). */
export function heardAt(a: Audible, trueTime: number): number | null {
  return a.type === 'start' ? a.positionMs + (trueTime - a.trueTime) * a.rate : null;
}

/** Told of every change of output as it happens, with the device clock's time (a conformance probe listens here). */
export interface PlayerObserver {
  sound(a: Audible, localTime: number): void;
  volume(percent: number, localTime: number): void;
}

/**
 * A simulated audio output on a device clock (`localNow`, the true clock plus skew). It only
 * knows whether it produces sound, of which track, from which position; it records every start
 * and stop on the true clock.
 */
export class Player implements PlayerPort {
  readonly truth: Audible[] = [];
  volume = 50;
  private sound: { track: Track; positionMs: number; startedLocal: number } | null = null;

  constructor(
    private readonly localNow: () => number,
    private readonly load: LoadBehaviour = {},
    private readonly limit = 10_000,
    private readonly observer: PlayerObserver | null = null,
    /** How fast `localNow` runs against the true clock (1 plus its drift). */
    private readonly rate = 1,
  ) {}

  prepare(_playback: Playback, _transferId: string): Promise<void> {
    const { loadDelayMs, failLoad } = this.load;
    const delay = typeof loadDelayMs === 'function' ? loadDelayMs() : (loadDelayMs ?? 0);
    return new Promise((resolve, reject) => setTimeout(() => (failLoad ? reject(new Error('load failed')) : resolve()), delay));
  }

  setVolume(percent: number): void {
    if (percent !== this.volume) this.observer?.volume(percent, this.localNow());
    this.volume = percent;
  }

  get trackUri(): string | null {
    return this.sound?.track.uri ?? null;
  }

  get playing(): boolean {
    return this.sound !== null;
  }

  get track(): Track | null {
    return this.sound?.track ?? null;
  }

  /** Position now, on the device's own clock. */
  positionMs(): number {
    if (!this.sound) return 0;
    return Math.min(this.sound.track.durationMs, this.sound.positionMs + (this.localNow() - this.sound.startedLocal));
  }

  start(track: Track, positionMs: number, transferId?: string): void {
    if (this.sound) this.stop(transferId);
    this.sound = { track, positionMs, startedLocal: this.localNow() };
    this.record({ type: 'start', trueTime: trueNow(), trackUri: track.uri, positionMs, rate: this.rate, ...(transferId ? { transferId } : {}) });
  }

  stop(transferId?: string): void {
    if (!this.sound) return;
    const positionMs = this.positionMs();
    const trackUri = this.sound.track.uri;
    this.sound = null;
    this.record({ type: 'stop', trueTime: trueNow(), trackUri, positionMs, rate: this.rate, ...(transferId ? { transferId } : {}) });
  }

  private record(a: Audible): void {
    this.observer?.sound(a, this.localNow());
    this.truth.push(a);
    if (this.truth.length > this.limit) this.truth.splice(0, this.truth.length - this.limit);
  }
}

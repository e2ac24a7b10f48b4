import { positionAt, type DeviceMessage, type Playback, type Position, type Track } from '@handoff/protocol';
import type { PlayerPort } from './player.ts';
import { runAt } from './schedule.ts';

/**
 * A device's part in transfers: buffer what the hub says to prepare, switch (start or stop) at a
 * server time on the device's own clock or hand the switch to a player that has its own, and undo
 * a switch of a transfer that was aborted.
 */
export class Switches {
  private readonly prepared = new Map<string, Playback>();
  private switchCancel: (() => void) | null = null;
  private startedFor: string | null = null;
  private stoppedFor: string | null = null;
  /** A switch handed to the player's own clock, not yet reached. */
  private scheduledFor: { transferId: string; role: 'start' | 'stop' } | null = null;

  constructor(private readonly host: SwitchHost) {}

  /** A switch waits for its time: until it runs, the sound is the switch's to change. */
  get waiting(): boolean {
    return this.switchCancel !== null;
  }

  prepare(transferId: string, playback: Playback, volume: number): void {
    this.host.player.prepare(playback, transferId).then(
      () => {
        this.prepared.set(transferId, playback);
        this.host.player.setVolume?.(volume);
        this.host.send({ type: 'transfer.ready', transferId });
      },
      (err: unknown) => this.host.send({ type: 'transfer.failed', transferId, reason: String((err as Error)?.message ?? err).slice(0, 200) }),
    );
  }

  schedule(transferId: string, role: 'start' | 'stop', atServerTime: number, positionMs: number): void {
    const localT = atServerTime + this.host.offsetMs();
    const player = this.host.player;
    const playback = this.prepared.get(transferId);
    // A player with its own clock gets the switch now, to run at T on that clock.
    const onAudioClock = role === 'stop' ? 'scheduleStop' in player : 'scheduleStart' in player && Boolean(playback?.track);
    if (onAudioClock && role === 'stop') player.scheduleStop?.(localT, transferId);
    if (onAudioClock && role === 'start') player.scheduleStart?.(playback!.track!, positionMs, localT, transferId);
    this.scheduledFor = onAudioClock ? { transferId, role } : null;
    this.switchCancel?.();
    // On the newest offset: a clock.sync that arrives before T moves the switch with it.
    const localAt = () => (onAudioClock ? localT : atServerTime + this.host.offsetMs());
    this.switchCancel = runAt(this.host.now, localAt, () => {
      this.switchCancel = null;
      this.scheduledFor = null;
      if (role === 'stop') {
        if (!onAudioClock) player.stop(transferId);
        this.stoppedFor = transferId;
        return;
      }
      this.prepared.clear();
      if (!playback?.track) return this.host.send({ type: 'transfer.failed', transferId, reason: 'nothing prepared' });
      // Start where the line is now: a timer that fired late must not leave the position behind.
      if (!onAudioClock) player.start(playback.track, positionMs + (this.host.now() - localAt()), transferId);
      this.startedFor = transferId;
      this.host.send({ type: 'transfer.started', transferId, atServerTime: onAudioClock ? atServerTime : this.host.serverNow() });
    });
  }

  abort(transferId: string, resumeAt?: Position): void {
    this.prepared.delete(transferId);
    this.switchCancel?.();
    this.switchCancel = null;
    // A switch already handed to the audio clock counts as done: undo it like one that ran.
    if (this.scheduledFor?.transferId === transferId) {
      if (this.scheduledFor.role === 'start') this.startedFor = transferId;
      else this.stoppedFor = transferId;
    }
    this.scheduledFor = null;
    if (this.startedFor === transferId) this.host.player.stop(transferId);
    const track = this.host.track();
    if (this.stoppedFor === transferId && resumeAt && track) {
      this.host.player.start(track, positionAt(resumeAt, this.host.serverNow(), track.durationMs), transferId);
    }
  }

  /** Cancel the switch waiting for its time (the device is leaving). */
  cancel(): void {
    this.switchCancel?.();
  }
}

/** What a device's switches need of its client (the HandoffClient). */
export interface SwitchHost {
  readonly player: PlayerPort;
  /** This device's clock in ms. */
  readonly now: () => number;
  /** Device clock minus server clock, as the hub estimated it. */
  offsetMs(): number;
  /** Server time as this device estimates it. */
  serverNow(): number;
  /** The track of the newest cluster this device has. */
  track(): Track | null | undefined;
  send(message: DeviceMessage): void;
}

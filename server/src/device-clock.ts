import type { HubMessage } from '@handoff/protocol';
import type { Clock } from './clock.ts';
import { ClockSync } from './clock-sync.ts';

type ClockSyncMessage = Extract<HubMessage, { type: 'clock.sync' }>;

/**
 * A device's clock as the hub sees it: the pings (a burst right after the hello, a few more before
 * a switch time is given, one per heartbeat), the pongs that feed the estimate (`clock-sync.ts`),
 * and the lead a switch needs on this link. Timers run on the injected clock.
 */
export class DeviceClock {
  readonly sync: ClockSync;
  private pingId = 0;
  /** Pings the current burst still has to send, and the timer of its next one. */
  private burstLeft = 0;
  private burstTimer: unknown = null;

  constructor(
    private readonly clock: Clock,
    private readonly sendPing: (text: string) => void,
    maxDriftPpm: number,
  ) {
    this.sync = new ClockSync(32, maxDriftPpm);
  }

  /**
   * Up to `count` pings 25 ms apart (a burst under way is extended, not doubled), stopping once the
   * estimate is within 1 ms after 4 exchanges: more cannot improve a switch scheduled to the ms,
   * and at a connect storm of thousands of devices the pings are most of the work on both ends.
   */
  burst(count: number): void {
    this.burstLeft = Math.max(this.burstLeft, count);
    if (this.burstTimer === null) this.burstPing();
  }

  private burstPing(): void {
    this.burstTimer = null;
    const e = this.sync.estimate();
    if (this.burstLeft <= 0 || (e && e.samples >= 4 && e.errorMs <= 1)) {
      this.burstLeft = 0;
      return;
    }
    this.burstLeft--;
    this.ping();
    this.burstTimer = this.clock.setTimeout(() => this.burstPing(), 25);
  }

  ping(): void {
    this.sendPing(`{"type":"clock.ping","pingId":${++this.pingId},"t0":${this.clock.now()}}`);
  }

  /**
   * A pong: the exchange goes into the estimate. Returns what to tell the device when the estimate
   * moved by half a ms or more (offset or bound), else null.
   */
  pong(t0: number, t1: number, t2: number): ClockSyncMessage | null {
    const t3 = this.clock.now();
    if (t0 > t3 || t3 - t0 > 60_000) return null;
    const before = this.sync.estimate();
    const estimate = this.sync.add(t0, t1, t2, t3);
    if (!estimate) return null;
    if (before && Math.abs(before.offsetMs - estimate.offsetMs) < 0.5 && Math.abs(before.errorMs - estimate.errorMs) < 0.5) return null;
    return { type: 'clock.sync', offsetMs: estimate.offsetMs, errorMs: estimate.errorMs, rttMs: estimate.rttMs };
  }

  /**
   * How far ahead to schedule a switch for this device: twice its worst recent round trip, plus
   * its clock error bound, plus a margin for a busy event loop.
   */
  leadMs(): number {
    const e = this.sync.estimate();
    return e ? 2 * e.recentMaxRttMs + 2 * e.errorMs + 40 : 0;
  }

  stop(): void {
    if (this.burstTimer !== null) this.clock.clearTimeout(this.burstTimer);
    this.burstTimer = null;
    this.burstLeft = 0;
  }
}

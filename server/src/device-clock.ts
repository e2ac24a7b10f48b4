import type { HubMessage } from '@handoff/protocol';
import type { Clock } from './clock.ts';
import { ClockSync } from './clock-sync.ts';

type ClockSyncMessage = Extract<HubMessage, { type: 'clock.sync' }>;

/** What a device's clock needs of its connection. */
export interface ClockLink {
  /** Write a ping. */
  sendPing(text: string): void;
  /** Tell the device (and the trace) the estimate that moved. */
  synced(sync: ClockSyncMessage): void;
}

/** Pings of a burst, 25 ms apart. */
const BURST_GAP_MS = 25;
/** A burst stops once this many exchanges in a row left the bound no tighter (after at least 4 exchanges)... */
const FLAT_EXCHANGES = 3;
/** ...or once the bound is within this, from at least 2 exchanges (each one's bounds are hard: no trip takes less than nothing). */
const TIGHT_MS = 1;

/**
 * A device's clock as the hub sees it: the pings (a burst right after the hello, a few more before
 * a switch time is given, one per heartbeat), the pongs that feed the estimate (`clock-sync.ts`),
 * what the device is told of it, and the lead a switch needs on this link. Timers run on the
 * injected clock.
 *
 * A burst ends early once more exchanges cannot help: at the pong that pins the bound within 1 ms
 * from two exchanges (a LAN, loopback: most devices of a connect storm on loopback), or, at the
 * next ping's time, when the last few exchanges left it no tighter (a steady link: only a trip
 * faster than every one before tightens it, and on a link without jitter there is none). While a
 * burst runs the device is told the estimate once, at its end, not after every exchange; a switch or prepare on its way
 * to the device takes the newest estimate with it first (`beforeSwitch`). At a connect storm of
 * thousands of devices the burst is most of the frames on both ends.
 */
export class DeviceClock {
  readonly sync: ClockSync;
  private pingId = 0;
  /** Pings the current burst may still send, and the timer of its next one. */
  private burstLeft = 0;
  private burstTimer: unknown = null;
  /** The estimate not told yet (held while a burst runs). */
  private untold: ClockSyncMessage | null = null;
  /** Exchanges so far; the tightest bound seen and the exchange that reached it; the exchanges when the burst began. */
  private exchanges = 0;
  private tightestMs = Infinity;
  private tightenedAt = 0;
  private burstFrom = 0;
  /** When the newest exchange's pong came back (hub clock). */
  private lastExchangeAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly link: ClockLink,
    maxDriftPpm: number,
  ) {
    this.sync = new ClockSync(32, maxDriftPpm);
  }

  /** Up to `count` pings, 25 ms apart (a burst under way is extended, not doubled). */
  burst(count: number): void {
    this.burstLeft = Math.max(this.burstLeft, count);
    if (this.burstTimer !== null) return;
    this.burstFrom = this.exchanges;
    this.burstPing();
  }

  /**
   * A transfer is about to ask this device to prepare: up to 4 more exchanges, so that the switch
   * time comes with a recent estimate and recent round trips, unless those are already at hand:
   * the newest exchange is within `recentMs` (a heartbeat) and the last few left the bound no
   * tighter, so more of the same cannot move it. On a busy hub that is most prepares, each burst
   * 4 pings out and 4 pongs in, the largest part of a transfer's frames.
   */
  beforePrepare(recentMs: number): void {
    const recent = this.clock.now() - this.lastExchangeAt <= recentMs;
    const flat = this.exchanges >= FLAT_EXCHANGES && this.exchanges - this.tightenedAt >= FLAT_EXCHANGES;
    if (recent && flat && this.burstTimer === null) return;
    this.burst(4);
  }

  private burstPing(): void {
    this.burstTimer = null;
    if (this.burstLeft <= 0 || this.enough()) return this.endBurst();
    this.burstLeft--;
    this.ping();
    this.burstTimer = this.clock.setTimeout(() => this.burstPing(), BURST_GAP_MS);
  }

  /** Whether more exchanges cannot help: the bound is tight already, or it stopped getting tighter. */
  private enough(): boolean {
    const e = this.sync.estimate();
    if (e === null) return false;
    return this.tight() || (e.samples >= 4 && this.exchanges - Math.max(this.tightenedAt, this.burstFrom) >= FLAT_EXCHANGES);
  }

  private tight(): boolean {
    const e = this.sync.estimate();
    return e !== null && e.samples >= 2 && e.errorMs <= TIGHT_MS;
  }

  private endBurst(): void {
    if (this.burstTimer !== null) this.clock.clearTimeout(this.burstTimer);
    this.burstTimer = null;
    this.burstLeft = 0;
    this.tell();
  }

  ping(): void {
    this.link.sendPing(`{"type":"clock.ping","pingId":${++this.pingId},"t0":${this.clock.now()}}`);
  }

  /** A pong: the exchange goes into the estimate; the device is told when it moved by half a ms or more (offset or bound). */
  pong(t0: number, t1: number, t2: number): void {
    const t3 = this.clock.now();
    if (t0 > t3 || t3 - t0 > 60_000) return;
    const before = this.sync.estimate();
    const estimate = this.sync.add(t0, t1, t2, t3);
    if (!estimate) return;
    this.exchanges++;
    this.lastExchangeAt = t3;
    // Tighter by a tenth (at least a quarter ms) than the tightest before.
    if (this.tightestMs - estimate.errorMs > Math.max(0.25, 0.1 * (this.tightestMs === Infinity ? 0 : this.tightestMs))) {
      this.tightestMs = estimate.errorMs;
      this.tightenedAt = this.exchanges;
    }
    const moved = !before || Math.abs(before.offsetMs - estimate.offsetMs) >= 0.5 || Math.abs(before.errorMs - estimate.errorMs) >= 0.5;
    if (moved) this.untold = { type: 'clock.sync', offsetMs: estimate.offsetMs, errorMs: estimate.errorMs, rttMs: estimate.rttMs };
    // An exchange that made the bound tight ends the burst now, not at its next ping's time. The
    // flat rule waits for that time: a pong still on its way may tighten the bound (on a jittery
    // link a trip outlasts the 25 ms between pings).
    if (this.burstTimer === null || this.tight()) this.endBurst();
  }

  /** A switch time (or a prepare) is about to reach the device: the estimate held back by a burst goes first. */
  beforeSwitch(): void {
    this.tell();
  }

  private tell(): void {
    const sync = this.untold;
    if (!sync) return;
    this.untold = null;
    this.link.synced(sync);
  }

  /**
   * How far ahead to schedule a switch for this device: twice its worst round trip of the last 30 s, plus
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
    this.untold = null;
  }
}

import { everyOn, type Clock } from './clock.ts';

/**
 * How far this process's event loop has fallen behind, as a running total on the injected clock.
 * A tick is due every `tickMs`; whatever it comes later than that is time in which this process
 * read no socket (a turn that ran long, a connect storm, a core shared with other work). The hub
 * takes it off a device's silence: a device's answer that sat unread in its socket while the hub
 * was behind is the hub's delay, not the device's.
 */
export class LoopLag {
  private behindMs = 0;
  private lastTick: number;
  private readonly stopTicking: () => void;

  constructor(
    private readonly clock: Clock,
    private readonly tickMs = 100,
  ) {
    this.lastTick = clock.now();
    this.stopTicking = everyOn(clock, tickMs, () => {
      const now = clock.now();
      this.behindMs += Math.max(0, now - this.lastTick - tickMs);
      this.lastTick = now;
    });
  }

  /** The loop's lag so far, in ms, counting the current tick's if it is already overdue. */
  totalMs(): number {
    return this.behindMs + Math.max(0, this.clock.now() - this.lastTick - this.tickMs);
  }

  stop(): void {
    this.stopTicking();
  }
}

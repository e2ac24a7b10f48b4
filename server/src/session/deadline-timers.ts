import type { Clock } from '../clock.ts';
import type { Deadline } from './context.ts';

interface ArmedTimer {
  at: number;
  handle: unknown;
  fired: boolean;
}

/** What the timers tell their session: each arm, cancel and firing is traced; a firing is an event. */
export interface DeadlineHost {
  armed(id: string, at: number, inMs: number): void;
  cancelled(id: string, at: number): void;
  fired(id: string, event: Deadline['event']): void;
}

/**
 * The real timers behind the deadlines in a session's context: the context says when, these
 * make it happen. `sync` after every step arms the new deadlines and cancels the ones that left.
 */
export class DeadlineTimers {
  private readonly timers = new Map<string, ArmedTimer>();

  constructor(
    private readonly clock: Clock,
    private readonly host: DeadlineHost,
  ) {}

  sync(deadlines: Record<string, Deadline>): void {
    for (const [id, timer] of this.timers) {
      const wanted = deadlines[id];
      if (wanted && wanted.at === timer.at) continue;
      if (!timer.fired) {
        this.clock.clearTimeout(timer.handle);
        this.host.cancelled(id, timer.at);
      }
      this.timers.delete(id);
    }
    const now = this.clock.now();
    for (const [id, deadline] of Object.entries(deadlines)) {
      if (this.timers.has(id)) continue;
      const armed: ArmedTimer = { at: deadline.at, fired: false, handle: undefined };
      armed.handle = this.clock.setTimeout(() => {
        armed.fired = true;
        this.host.fired(id, deadline.event);
      }, Math.max(0, deadline.at - now));
      this.timers.set(id, armed);
      this.host.armed(id, deadline.at, Math.round(deadline.at - now));
    }
  }

  /** The session stopped: no timer fires after this. */
  clear(): void {
    for (const t of this.timers.values()) if (!t.fired) this.clock.clearTimeout(t.handle);
    this.timers.clear();
  }
}

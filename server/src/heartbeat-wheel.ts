import { everyOn, type Clock } from './clock.ts';

/**
 * Visits every member once per period, a slice at a time: members are dealt into slots and a
 * tick every ~100 ms (on the injected clock) visits one slot. The hub pings its devices through
 * this. Sweeping every socket in one turn (at 16k devices, 16k pings out and then 16k pongs back)
 * stalls the event loop for hundreds of ms, and every transfer in flight at that moment pays for it.
 */
export class HeartbeatWheel<T> {
  private readonly slots: Array<Set<T>>;
  private readonly slotOf = new Map<T, number>();
  private dealt = 0;
  private turn = 0;
  private readonly stopTicking: () => void;

  constructor(clock: Clock, periodMs: number, visit: (member: T) => void, tickMs = 100) {
    const count = Math.max(1, Math.round(periodMs / tickMs));
    this.slots = Array.from({ length: count }, () => new Set<T>());
    this.stopTicking = everyOn(clock, periodMs / count, () => {
      const slot = this.slots[this.turn]!;
      this.turn = (this.turn + 1) % count;
      for (const member of slot) visit(member);
    });
  }

  add(member: T): void {
    if (this.slotOf.has(member)) return;
    const slot = this.dealt++ % this.slots.length;
    this.slots[slot]!.add(member);
    this.slotOf.set(member, slot);
  }

  delete(member: T): void {
    const slot = this.slotOf.get(member);
    if (slot === undefined) return;
    this.slotOf.delete(member);
    this.slots[slot]!.delete(member);
  }

  stop(): void {
    this.stopTicking();
  }
}

import type { Socket } from 'node:net';
import type { Clock } from '../clock.ts';

/** Connections one address may have held at once; past it, the address's connections are reset at once. */
const HELD_PER_ADDRESS = 64;
/** Connections held at once from all addresses together (each is a file descriptor). */
const HELD_IN_ALL = 4096;

/**
 * Connections refused at TCP accept (upgrade-limits.ts `accept`), held before their reset: never
 * read (the server pauses every new connection until it is let in), reset after `holdMs`. A
 * client in a reconnect loop that waits for an answer, a runaway script or a buggy app, then
 * tries `parallel / holdMs` times a second, not as fast as accept and reset go round (thousands
 * a second on loopback, each costing the hub an accept, a socket object and a reset). One that
 * gives up at once costs what a reset at once did: once its address has `HELD_PER_ADDRESS` held,
 * the rest are reset unread, as before. A storm of connections that never wait is only stopped
 * in front of the hub (docs/DEPLOY.md).
 */
export class HeldRefusals {
  private readonly byAddress = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly holdMs: number,
    private readonly clock: Clock,
  ) {}

  /** Hold a refused connection (already paused) and reset it later; false when none may be held now: reset it. */
  hold(address: string, socket: Socket): boolean {
    const held = this.byAddress.get(address) ?? 0;
    if (this.holdMs <= 0 || held >= HELD_PER_ADDRESS || this.total >= HELD_IN_ALL) return false;
    this.byAddress.set(address, held + 1);
    this.total++;
    // Unread, a socket rarely errs; should it, the reset below is all there is to do.
    socket.on('error', () => {});
    const timer = this.clock.setTimeout(() => socket.resetAndDestroy(), this.holdMs);
    (timer as { unref?: () => void } | null)?.unref?.();
    socket.once('close', () => {
      this.clock.clearTimeout(timer);
      this.total--;
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left > 0) this.byAddress.set(address, left);
      else this.byAddress.delete(address);
    });
    return true;
  }

  /** Connections held now (for tests). */
  get size(): number {
    return this.total;
  }
}

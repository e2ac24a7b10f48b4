import type { HubSocket } from '../socket.ts';
import type { TurnBudget } from './turn-budget.ts';

interface Frame {
  data: string | Buffer;
  isBinary: boolean;
}

/**
 * One socket's frames put off to later turns because its user had used up the current one
 * (turn-budget.ts). While any wait the socket is paused, and they are handled in order, as many
 * a turn as the user's budget allows, before any newer frame.
 */
export class DeferredFrames {
  private readonly frames: Frame[] = [];

  constructor(
    private readonly turns: TurnBudget,
    private readonly userId: string,
    private readonly socket: HubSocket,
    /** Handle one frame; a throw is the frame's fault (`failed`), never the process's. */
    private readonly handle: (data: string | Buffer, isBinary: boolean) => void,
    private readonly failed: (err: unknown) => void,
    private readonly closed: () => boolean,
  ) {}

  /** Whether the frame may be handled now; if not, it waits for a later turn. */
  admit(data: string | Buffer, isBinary: boolean): boolean {
    if (this.frames.length === 0 && this.turns.take(this.userId)) return true;
    this.frames.push({ data, isBinary });
    if (this.frames.length === 1) {
      this.socket.pause?.();
      this.turns.later(() => this.drain());
    }
    return false;
  }

  /** Drop what waits (the socket is closing); returns how many frames there were. */
  clear(): number {
    return this.frames.splice(0).length;
  }

  private drain(): void {
    while (!this.closed() && this.frames.length > 0 && this.turns.take(this.userId)) {
      const { data, isBinary } = this.frames.shift()!;
      try {
        this.handle(data, isBinary);
      } catch (err) {
        // Outside the socket's own handler here: the same rule, one frame never takes the process down.
        this.failed(err);
      }
    }
    if (this.closed()) return;
    if (this.frames.length > 0) this.turns.later(() => this.drain());
    else this.socket.resume?.();
  }
}

import type { Clock } from './clock.ts';

/**
 * Many nodes: the deadlines of a device's commands sent on and not answered yet. A command not
 * answered within its deadline (Redis stalled, the owner gone) is answered by the connection with
 * COMMAND_TIMEOUT, which says it may still take effect; the same commandId sent again gets its
 * real outcome. One node arms none.
 */
export class CommandDeadlines {
  private readonly timers = new Map<string, unknown>();

  constructor(
    private readonly clock: Clock,
    private readonly expired: (commandId: string, ms: number) => void,
  ) {}

  /** Armed before the command goes on: one node may answer it at once. A command already waiting keeps its deadline. */
  arm(commandId: string, ms: number): void {
    if (this.timers.has(commandId)) return;
    this.timers.set(
      commandId,
      this.clock.setTimeout(() => {
        if (this.timers.delete(commandId)) this.expired(commandId, ms);
      }, ms),
    );
  }

  /** A frame on its way to the device: a command's result meets that command's deadline. */
  sent(text: string): void {
    if (this.timers.size === 0 || !text.startsWith('{"type":"command.result"')) return;
    const { commandId } = JSON.parse(text) as { commandId?: string };
    if (commandId === undefined) return;
    const timer = this.timers.get(commandId);
    if (timer === undefined) return;
    this.timers.delete(commandId);
    this.clock.clearTimeout(timer);
  }

  /** Drop every deadline and return the commands that were waiting (their session moved: they are answered now). */
  release(): string[] {
    const waiting = [...this.timers.keys()];
    this.stop();
    return waiting;
  }

  stop(): void {
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
  }
}

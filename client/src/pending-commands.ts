import type { Command, CommandResult } from '@handoff/protocol';

/**
 * Commands sent and not answered yet: resent with the same id after a reconnect (answered once,
 * applied once). Each waits for its result until its timeout.
 */
export class PendingCommands {
  private readonly pending = new Map<string, { command: Command; resolve: (r: CommandResult) => void }>();

  constructor(private readonly write: (command: Command) => void) {}

  /** How many wait for their result. */
  get size(): number {
    return this.pending.size;
  }

  /** Send `command` and wait for its result; reject if none came within `timeoutMs`. */
  send(command: Command, timeoutMs: number): Promise<CommandResult> {
    const { commandId } = command;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(commandId);
        reject(new Error(`no result for ${command.type} ${commandId}`));
      }, timeoutMs);
      this.pending.set(commandId, {
        command,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
      this.write(command);
    });
  }

  /** The hub's result for a command (or an `error` naming its id, as a failed result): its caller gets it. */
  answered(result: CommandResult): void {
    this.pending.get(result.commandId)?.resolve(result);
    this.pending.delete(result.commandId);
  }

  /** Send every unanswered command again, with its id. */
  resend(): void {
    for (const { command } of this.pending.values()) this.write(command);
  }
}

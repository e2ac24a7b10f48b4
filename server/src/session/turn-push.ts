import type { HubMessage } from '@handoff/protocol';
import type { Cause } from './session-port.ts';

interface Held {
  message: HubMessage;
  recipients: ReadonlySet<string>;
  cause: Cause;
}

/**
 * A session's cluster push, held to the end of the event-loop turn so that several in one turn
 * (the devices of a household joining at once: a connect storm, a hub restart) reach each device
 * as one, the newest. A cluster is a whole state with a revision, so a device owed two pushes
 * needs only the second. Order holds: before anything else goes to a device owed the held push,
 * the push goes (`before`); a newer push replaces the held one only when it goes to every device
 * the held one would have, else the held one goes first. Without `endOfTurn` every push goes at
 * once.
 */
export class TurnPush {
  private held: Held | null = null;
  private armed = false;

  constructor(
    /** Run `fn` once the current turn's I/O is done (`setImmediate`), or undefined to hold nothing. */
    private readonly endOfTurn: ((fn: () => void) => void) | undefined,
    private readonly deliver: (message: HubMessage, recipients: ReadonlySet<string>, cause: Cause) => void,
  ) {}

  push(message: HubMessage, recipients: ReadonlySet<string>, cause: Cause): void {
    if (!this.endOfTurn) return this.deliver(message, recipients, cause);
    if (this.held && !covers(recipients, this.held.recipients)) this.flush();
    this.held = { message, recipients, cause };
    if (this.armed) return;
    this.armed = true;
    this.endOfTurn(() => {
      this.armed = false;
      this.flush();
    });
  }

  /** Something else is about to go to `deviceId`: the push it is owed goes first. */
  before(deviceId: string): void {
    if (this.held?.recipients.has(deviceId)) this.flush();
  }

  flush(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    this.deliver(held.message, held.recipients, held.cause);
  }
}

function covers(newer: ReadonlySet<string>, older: ReadonlySet<string>): boolean {
  if (newer.size < older.size) return false;
  for (const id of older) if (!newer.has(id)) return false;
  return true;
}

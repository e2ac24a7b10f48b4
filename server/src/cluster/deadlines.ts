import type { Command } from '@handoff/protocol';
import type { HubSettings } from '../hub-settings.ts';

/** How long a read of a user's cluster through another node may take in all. */
export const READ_DEADLINE_MS = 3000;
/** How long a command that needs no device to load may take across nodes (a Redis stall or a dead owner ends it here). */
const QUICK_COMMAND_MS = 3000;

/**
 * The deadline of one command across nodes: a transfer (or a play on another device) may wait for
 * its target to prepare and switch, so it gets both timeouts and a second more; any other command
 * gets 3 s. Never more than the hub's own command timeout (15 s by default), so a caller always
 * hears well before it.
 */
export function commandDeadlineMs(command: Command, settings: HubSettings): number {
  const loads = command.type === 'command.transfer' || (command.type === 'command.play' && command.deviceId !== undefined);
  const ms = loads ? settings.session.prepareTimeoutMs + settings.session.switchTimeoutMs + 1000 : QUICK_COMMAND_MS;
  return Math.min(ms, settings.commandTimeoutMs);
}

/** What a caller is told when the session could not be reached at all: nothing was done. */
export const unreachable = (userId: string, ms: number) =>
  `the session of ${userId} could not be reached within ${ms} ms (its node is gone, or Redis does not answer); nothing was done: send it again`;

/** What a node answers a command another node sent on when it does not run the session (the members changed): ask the owner again. */
export const NOT_OWNER = 'this node does not run the session any more; nothing was done: ask the owner again';

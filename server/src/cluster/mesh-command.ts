import type { Command, CommandResult, ErrorCode } from '@handoff/protocol';
import { sleepOn, type Clock } from '../clock.ts';
import { mayHaveCommitted, SESSION_MOVED } from '../errors.ts';
import type { Session } from '../session/session.ts';
import { TimeoutError, withTimeout } from '../with-timeout.ts';
import type { Calls } from './calls.ts';
import { NOT_OWNER, unreachable } from './deadlines.ts';
import type { Route } from './routed-session.ts';

/** What a command across nodes needs of the Mesh. */
export interface CommandHost {
  readonly clock: Clock;
  readonly calls: Calls;
  /** Where the user's session runs (taking it here if this node owns the partition). */
  route(userId: string): Promise<Route>;
  isGone(node: string): boolean;
  /** Run the command on a session open here, answered within `timeoutMs`. */
  commandOn(session: Session, command: Command, origin: string, timeoutMs: number): Promise<CommandResult>;
  /** The command is sent on to another node (counted once, where it arrived). */
  crossed(): void;
}

/** Pause before asking again where the session runs. */
const RETRY_MS = 100;

const failed = (command: Command, code: ErrorCode, message: string): CommandResult => ({ type: 'command.result', commandId: command.commandId, ok: false, code, message });

/**
 * Run a command wherever the user's session runs, within `timeoutMs` (deadlines.ts): UNAVAILABLE
 * when it reached no session at all (nothing was done), COMMAND_TIMEOUT when it was sent and no
 * outcome came back (it may still take effect; the same commandId answers for real). Until then,
 * whatever stood in the way is tried again at the owner found again, with the same commandId: an
 * owner found gone, a session that stopped here while the command waited (SESSION_MOVED), taking
 * the session failing (a refused claim, the partition lost on the way), a node that is not the
 * owner any more (NOT_OWNER). A change that did commit is answered from the session's results.
 *
 * `forwarded`: another node sent it here because it computed this node as the owner. If this
 * node is not (the members changed), it says so (NOT_OWNER) instead of sending it on, so a
 * command never travels a chain of nodes: its sender asks the owner it computes again.
 */
export async function commandAcross(host: CommandHost, userId: string, command: Command, origin: string, timeoutMs: number, forwarded: boolean): Promise<CommandResult> {
  const { clock } = host;
  const deadline = clock.now() + timeoutMs;
  let reached = false;
  let counted = forwarded;
  for (let left = timeoutMs; left > 0; left = deadline - clock.now()) {
    let route: Route;
    try {
      route = await withTimeout(host.route(userId), left, undefined, clock);
    } catch (err) {
      if (err instanceof TimeoutError) break;
      await sleepOn(clock, RETRY_MS);
      continue;
    }
    if (route.kind === 'local') {
      const result = await host.commandOn(route.session, command, origin, Math.max(1, deadline - clock.now()));
      reached = true;
      // The session stopped here while the command waited (lease lost): ask its next owner, same commandId.
      if (result.ok || result.code !== 'COMMAND_TIMEOUT' || result.message !== SESSION_MOVED) return result;
      await sleepOn(clock, RETRY_MS);
      continue;
    }
    if (forwarded) return failed(command, 'UNAVAILABLE', NOT_OWNER);
    if (!counted) host.crossed();
    counted = true;
    const gone = host.isGone(route.node);
    const answer = await host.calls.call(route.node, { t: 'cmd', u: userId, id: '', command, origin }, deadline - clock.now());
    if (answer !== null && answer !== 'undelivered' && answer.t === 'res') {
      const { result } = answer;
      // That node does not run the session any more: nothing was done there; ask the owner found again.
      if (!result.ok && result.code === 'UNAVAILABLE' && result.message === NOT_OWNER) {
        await sleepOn(clock, RETRY_MS);
        continue;
      }
      return result;
    }
    reached ||= !gone;
    if (answer === null) break;
    await sleepOn(clock, RETRY_MS);
  }
  return reached ? failed(command, 'COMMAND_TIMEOUT', mayHaveCommitted(timeoutMs)) : failed(command, 'UNAVAILABLE', unreachable(userId, timeoutMs));
}

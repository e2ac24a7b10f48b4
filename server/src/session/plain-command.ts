import { applyCommand, movesPlayback } from './commands.ts';
import type { SessionContext, Step } from './context.ts';
import type { MachineEvent } from './events.ts';
import { joiners, silentRejoin } from './group-transfer.ts';
import { join } from './presence.ts';
import type { SessionStateName } from './session-state.ts';
import type { SessionSettings } from './settings.ts';
import { transferIntent } from './transfer.ts';

type CommandEvent = Extract<MachineEvent, { type: 'command' }>;
type JoinEvent = Extract<MachineEvent, { type: 'device.join' }>;

/**
 * Whether the chart would take its plain `apply` branch for this command: one that cannot start,
 * grow, supersede or wait on a transfer (a volume, a seek while idle, a queue edit). The same
 * guards, in the same order, as `command` in `idle` and `transferring.preparing`
 * (session-machine.ts); `plain-command.test.ts` checks the two agree.
 */
export function runsPlain(state: SessionStateName, ctx: SessionContext, event: CommandEvent): boolean {
  // Switching defers every command; a retry in flight joins the waiters.
  if (state === 'switching' || isRetry(ctx, event.command.commandId)) return false;
  // Growing from a member and a transfer that needs a prepare are transfers too (transfer.ts).
  if (transferIntent(ctx, event.command) !== null) return false;
  if (state === 'idle') return joiners(ctx, event.command).length === 0;
  return !movesPlayback(event.command);
}

/** A retry still in flight (a retry of one already answered never gets here: the host answers it, result-memory.ts). */
function isRetry(ctx: SessionContext, commandId: string): boolean {
  return ctx.transfer?.waiters.some((w) => w.commandId === commandId) ?? false;
}

/**
 * The step the chart's `apply` action computes, without the interpreter: the reducers alone.
 * Only for a command `runsPlain` admits; the state does not change.
 */
export function plainStep(ctx: SessionContext, event: CommandEvent): Step {
  const { command, replyTo, origin } = event;
  return applyCommand(ctx, command, { commandId: command.commandId, replyTo }, origin, event.now);
}

/**
 * Whether the chart would only run the join reducer for this join (its handler at the root): in
 * every state but `idle` facing a silent member of the playing group coming back, which starts a
 * transfer (group-transfer.ts). At a connect storm joins are most of the work.
 */
export function joinRunsPlain(state: SessionStateName, ctx: SessionContext, event: JoinEvent): boolean {
  return !(state === 'idle' && silentRejoin(ctx, event) !== null);
}

/** The step the chart's root `device.join` handler computes, without the interpreter. */
export function plainJoin(ctx: SessionContext, event: JoinEvent, settings: SessionSettings): Step {
  return join(ctx, event, event.now, settings);
}

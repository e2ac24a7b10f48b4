import { movesPlayback } from './commands.ts';
import type { SessionContext } from './context.ts';
import type { MachineEvent } from './events.ts';
import { groupStep, joiners, silentRejoin, sourceUnreachable, stopIds } from './group-transfer.ts';
import { growthFromMember, needsPrepare, switchNeeded, transferIntent } from './transfer.ts';

type Args = { context: SessionContext; event: MachineEvent };

/** The event answers the transfer in progress. */
const matches = ({ context, event }: Args) => 'transferId' in event && context.transfer?.id === event.transferId;
/** The event answers the transfer in progress and comes from its target. */
const fromTarget = ({ context, event }: Args) =>
  matches({ context, event }) && 'deviceId' in event && event.deviceId === context.transfer?.targetId;
/** The event is that device's own connection closing (not an older one it replaced). */
const leaves = (context: SessionContext, event: MachineEvent, deviceId: string | null | undefined) =>
  event.type === 'device.leave' && event.deviceId === deviceId && context.devices[event.deviceId]?.connId === event.connId;

/** The session machine's guards: pure questions about the context and the event. */
export const sessionGuards = {
  groupWaits: ({ context, event }: Args) => groupStep(context, event) === 'wait',
  groupSwitches: ({ context, event }: Args) => groupStep(context, event) === 'switch',
  groupCommits: ({ context, event }: Args) => groupStep(context, event) === 'commit',
  groupRollsBack: ({ context, event }: Args) => groupStep(context, event) === 'rollback',
  // A retry of a command already answered is answered by the host before the machine sees it (result-memory.ts).
  isRetry: ({ context, event }: Args) =>
    event.type === 'command' &&
    (event.retried === true || Boolean(context.transfer?.waiters.some((w) => w.commandId === event.command.commandId))),
  needsPrepare: ({ context, event }: Args) => event.type === 'command' && needsPrepare(context, event.command),
  rejoinsSilent: ({ context, event }: Args) => event.type === 'device.join' && silentRejoin(context, event) !== null,
  growsFromMember: ({ context, event }: Args) => event.type === 'command' && growthFromMember(context, event.command) !== null,
  joinsPlayingGroup: ({ context, event }: Args) => event.type === 'command' && joiners(context, event.command).length > 0,
  isTransfer: ({ context, event }: Args) => event.type === 'command' && transferIntent(context, event.command) !== null,
  movesPlayback: ({ event }: Args) => event.type === 'command' && movesPlayback(event.command),
  fromTarget,
  switchNeeded: ({ context, event }: Args) => fromTarget({ context, event }) && switchNeeded(context),
  targetLeaves: ({ context, event }: Args) => leaves(context, event, context.transfer?.targetId),
  // The source device, or a playing member of a source group: each was told to stop at T.
  sourceLeaves: ({ context, event }: Args) =>
    Boolean(context.transfer) && stopIds(context.transfer!).some((id) => leaves(context, event, id)),
  // A transfer's own deadline, still armed: `prepare` only until the switch is scheduled.
  isCurrent: ({ context, event }: Args) =>
    matches({ context, event }) && (event.type === 'timer.prepare' ? 'prepare' : 'switch') in context.deadlines,
  sourceUnreachable: ({ context, event }: Args) => fromTarget({ context, event }) && sourceUnreachable(context),
};

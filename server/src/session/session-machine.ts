import { assertEvent, enqueueActions, setup } from 'xstate';
import { applyCommand, movesPlayback, trackEnded } from './commands.ts';
import { clearDeadline, type Effect, type SessionContext, type Step } from './context.ts';
import { checkDrift } from './drift.ts';
import type { MachineEvent } from './events.ts';
import {
  beginJoin,
  dropPlaying,
  groupStep,
  involvedIds,
  joiners,
  recordMember,
  silentRejoin,
  sourceUnreachable,
} from './group-transfer.ts';
import { applyGroupCommand, isGroupCommand } from './groups.ts';
import { hasConnectedDevice, join, leave, offline, opened } from './presence.ts';
import type { SessionSettings } from './settings.ts';
import {
  beginTransfer,
  commitTransfer,
  growFromMember,
  growthFromMember,
  needsPrepare,
  rollback,
  scheduleSwitch,
  switchNeeded,
  transferAtOnce,
  transferIntent,
} from './transfer.ts';

/** Side effects leave the machine as one emitted event per transition; the host carries them out. */
export interface EffectsEmitted {
  type: 'effects';
  effects: Effect[];
}

/** Where a session stands: idle, or a transfer preparing its target or switching to it. */
export type SessionStateName = 'idle' | 'preparing' | 'switching';
export type SessionStateValue = 'idle' | { transferring: 'preparing' | 'switching' };

/** The leaf a state value names (`{ transferring: 'switching' }` is 'switching'). */
export function stateName(value: unknown): SessionStateName {
  if (value === 'idle') return 'idle';
  // Sessions stored before the `transferring` parent existed saved the leaf alone.
  const leaf = typeof value === 'object' && value !== null ? (value as { transferring?: unknown }).transferring : value;
  if (leaf === 'preparing' || leaf === 'switching') return leaf;
  throw new Error(`not a session state: ${JSON.stringify(value)}`);
}

/** The state value for a leaf name (or a stored value, in either form). */
export function stateValue(value: unknown): SessionStateValue {
  const name = stateName(value);
  return name === 'idle' ? 'idle' : { transferring: name };
}

type Rollback = { code: 'SUPERSEDED' | 'TRANSFER_TIMEOUT' | 'DEVICE_OFFLINE' | 'TRANSFER_FAILED'; message: string };
const SUPERSEDED_BY_TRANSFER: Rollback = { code: 'SUPERSEDED', message: 'a newer transfer superseded this one' };
const SUPERSEDED_BY_COMMAND: Rollback = { code: 'SUPERSEDED', message: 'a newer command superseded this transfer' };

/**
 * One user's session, as a pure chart: every change runs through here. The state says where a
 * transfer stands (idle -> transferring.preparing -> transferring.switching -> idle), the context
 * holds the cluster, and every side effect leaves as data in an emitted `effects` event, which
 * the host carries out. Everything from outside (the time, switch leads) arrives in the event,
 * so one machine serves every session of a hub and `transition()` can test it.
 */
export function createSessionMachine(settings: SessionSettings) {
  const run = (step: Step, enqueue: { assign: (ctx: SessionContext) => void; emit: (e: EffectsEmitted) => void }) => {
    enqueue.assign(step.ctx);
    if (step.effects.length) enqueue.emit({ type: 'effects', effects: step.effects });
  };
  const matches = ({ context, event }: { context: SessionContext; event: MachineEvent }) =>
    'transferId' in event && context.transfer?.id === event.transferId;
  const fromTarget = ({ context, event }: { context: SessionContext; event: MachineEvent }) =>
    matches({ context, event }) && 'deviceId' in event && event.deviceId === context.transfer?.targetId;
  const leaves = (context: SessionContext, event: MachineEvent, deviceId: string | null | undefined) =>
    event.type === 'device.leave' && event.deviceId === deviceId && context.devices[event.deviceId]?.connId === event.connId;

  return setup({
    types: {
      context: {} as SessionContext,
      events: {} as MachineEvent,
      input: {} as SessionContext,
      emitted: {} as EffectsEmitted,
    },
    actions: {
      unknownTransfer: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, ['transfer.ready', 'transfer.started', 'transfer.failed']);
        const message = {
          type: 'error',
          code: 'BAD_REQUEST',
          message: `transfer ${event.transferId} is not in progress for ${event.deviceId}`,
          ref: event.type,
        } as const;
        run({ ctx: context, effects: [{ type: 'send', deviceId: event.deviceId, message }] }, enqueue);
      }),
      replay: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'command');
        const { command, replyTo } = event;
        const done = context.results.find((r) => r.commandId === command.commandId);
        if (done) return run({ ctx: context, effects: [{ type: 'reply', to: replyTo, result: done.result }] }, enqueue);
        // Still in flight: answer this sender too when it resolves.
        const transfer = context.transfer!;
        run(
          {
            ctx: {
              ...context,
              transfer: { ...transfer, waiters: [...transfer.waiters, { commandId: command.commandId, replyTo }] },
            },
            effects: [],
          },
          enqueue,
        );
      }),
      apply: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'command');
        const { command, replyTo, origin } = event;
        run(applyCommand(context, command, { commandId: command.commandId, replyTo }, origin, event.now), enqueue);
      }),
      beginTransfer: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'command');
        const { command, replyTo } = event;
        if (command.type !== 'command.transfer' && command.type !== 'command.play') return;
        run(beginTransfer(context, command, { commandId: command.commandId, replyTo }, event.now, settings), enqueue);
      }),
      // Members added to the playing group: the change commits and is answered, then they join at T'.
      beginJoin: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'command');
        const { command, replyTo } = event;
        if (!isGroupCommand(command) || command.type !== 'command.group.update') return;
        const ids = joiners(context, command);
        const updated = applyGroupCommand(context, command, { commandId: command.commandId, replyTo }, event.now);
        run(beginJoin(updated, ids, command.groupId, event.now, settings), enqueue);
      }),
      growFromMember: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'command');
        const { command, replyTo } = event;
        if (command.type !== 'command.transfer' && command.type !== 'command.play') return;
        run(growFromMember(context, command, { commandId: command.commandId, replyTo }, event.now, settings), enqueue);
      }),
      transferAtOnce: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'command');
        const { command, replyTo } = event;
        if (command.type !== 'command.transfer' && command.type !== 'command.play') return;
        run(transferAtOnce(context, command, { commandId: command.commandId, replyTo }, event.now), enqueue);
      }),
      scheduleSwitch: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, ['transfer.ready', 'transfer.failed', 'device.leave', 'timer.prepare']);
        // A switch a group's deadline (or a member's failure) schedules uses the leads its members last reported.
        const leads = event.type === 'transfer.ready' ? event.leads : (context.transfer!.leads ?? {});
        const lead = Math.max(0, ...involvedIds(context.transfer!).map((id) => leads[id] ?? 0));
        run(scheduleSwitch(context, event.now, lead, settings), enqueue);
      }),
      commitTransfer: enqueueActions(({ context, event, enqueue }) => run(commitTransfer(context, event.now), enqueue)),
      rollback: enqueueActions(({ context, enqueue }, params: Rollback) => {
        if (context.transfer) run(rollback(context, params.code, params.message), enqueue);
      }),
      // A group transfer's member answered, failed, left, or a deadline passed (group-transfer.ts).
      recordMember: enqueueActions(({ context, event, enqueue }) => enqueue.assign(recordMember(context, event))),
      groupRollback: enqueueActions(({ context, event, enqueue }) => {
        if (!context.transfer) return;
        const [code, message]: [Rollback['code'], string] =
          sourceUnreachable(context) && context.transfer.switchAt === undefined
            ? ['DEVICE_OFFLINE', 'the playing device lost its connection and could not be told to stop']
            : event.type === 'transfer.failed'
              ? ['TRANSFER_FAILED', `no member of the group could play: ${event.reason}`]
              : event.type === 'device.leave'
                ? ['DEVICE_OFFLINE', 'every member of the group disconnected or failed']
                : ['TRANSFER_TIMEOUT', 'no member of the group got ready in time'];
        run(rollback(context, code, message), enqueue);
      }),
      leave: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'device.leave');
        run(leave(context, event, event.now, settings), enqueue);
      }),
      defer: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'command');
        const { command, replyTo, origin } = event;
        enqueue.assign({ deferred: [...context.deferred, { command, replyTo, origin }] });
      }),
      // Deferred commands run at the time of the event that ended the switch.
      flushDeferred: enqueueActions(({ context, event, enqueue }) => {
        for (const d of context.deferred) enqueue.raise({ type: 'command', ...d, now: event.now });
        enqueue.assign({ deferred: [] });
      }),
    },
    guards: {
      groupWaits: ({ context, event }) => groupStep(context, event) === 'wait',
      groupSwitches: ({ context, event }) => groupStep(context, event) === 'switch',
      groupCommits: ({ context, event }) => groupStep(context, event) === 'commit',
      groupRollsBack: ({ context, event }) => groupStep(context, event) === 'rollback',
      isRetry: ({ context, event }) =>
        event.type === 'command' &&
        (context.results.some((r) => r.commandId === event.command.commandId) ||
          Boolean(context.transfer?.waiters.some((w) => w.commandId === event.command.commandId))),
      needsPrepare: ({ context, event }) => event.type === 'command' && needsPrepare(context, event.command),
      rejoinsSilent: ({ context, event }) => event.type === 'device.join' && silentRejoin(context, event) !== null,
      growsFromMember: ({ context, event }) => event.type === 'command' && growthFromMember(context, event.command) !== null,
      joinsPlayingGroup: ({ context, event }) => event.type === 'command' && joiners(context, event.command).length > 0,
      isTransfer: ({ context, event }) => event.type === 'command' && transferIntent(context, event.command) !== null,
      movesPlayback: ({ event }) => event.type === 'command' && movesPlayback(event.command),
      fromTarget,
      switchNeeded: ({ context, event }) => fromTarget({ context, event }) && switchNeeded(context),
      targetLeaves: ({ context, event }) => leaves(context, event, context.transfer?.targetId),
      sourceLeaves: ({ context, event }) => leaves(context, event, context.transfer?.sourceId),
      // A transfer's own deadline, still armed: `prepare` only until the switch is scheduled.
      isCurrent: ({ context, event }) =>
        matches({ context, event }) && (event.type === 'timer.prepare' ? 'prepare' : 'switch') in context.deadlines,
      sourceUnreachable: ({ context, event }) => {
        const sourceId = context.transfer?.sourceId;
        return fromTarget({ context, event }) && Boolean(sourceId) && !context.devices[sourceId!]?.connId;
      },
    },
  }).createMachine({
    id: 'session',
    context: ({ input }) => input,
    initial: 'idle',
    on: {
      'session.opened': {
        actions: enqueueActions(({ context, event, enqueue }) =>
          run(opened(context, event.restored, event.now, settings), enqueue),
        ),
      },
      'device.join': {
        actions: enqueueActions(({ context, event, enqueue }) => run(join(context, event, event.now, settings), enqueue)),
      },
      // A group member's report of where its sound is (drift.ts).
      'playback.report': { actions: enqueueActions(({ context, event, enqueue }) => run(checkDrift(context, event, settings), enqueue)) },
      // Also what a leave does mid-transfer when it is neither the target's nor the source's.
      'device.leave': { actions: 'leave' },
      'timer.grace': {
        actions: enqueueActions(({ context, event, enqueue }) =>
          run(offline({ ctx: context, effects: [] }, event.deviceId, event.now), enqueue),
        ),
      },
      'timer.idle': {
        actions: enqueueActions(({ context, enqueue }) => {
          const step = clearDeadline({ ctx: context, effects: [] }, 'idle');
          if (!hasConnectedDevice(context)) step.effects.push({ type: 'idle' });
          run(step, enqueue);
        }),
      },
      // A track that ends mid-transfer moves on once the transfer resolves (commit or rollback re-arm it).
      'timer.track-end': {
        actions: enqueueActions(({ context, enqueue }) =>
          run(clearDeadline({ ctx: context, effects: [] }, 'track-end'), enqueue),
        ),
      },
      // Stale deadlines of transfers already resolved.
      'timer.prepare': {},
      'timer.switch': {},
      // Answers about a transfer that is not (or no longer) in progress for that device.
      'transfer.ready': { actions: 'unknownTransfer' },
      'transfer.started': { actions: 'unknownTransfer' },
      'transfer.failed': { actions: 'unknownTransfer' },
    },
    states: {
      idle: {
        on: {
          command: [
            { guard: 'isRetry', actions: 'replay' },
            { guard: 'growsFromMember', target: 'transferring', actions: 'growFromMember' },
            { guard: 'needsPrepare', target: 'transferring', actions: 'beginTransfer' },
            { guard: 'isTransfer', actions: 'transferAtOnce' },
            { guard: 'joinsPlayingGroup', target: 'transferring', actions: 'beginJoin' },
            { actions: 'apply' },
          ],
          // A member of the playing group back silent joins it again at a scheduled time (group-transfer.ts).
          'device.join': {
            guard: 'rejoinsSilent',
            target: 'transferring',
            actions: enqueueActions(({ context, event, enqueue }) => {
              const groupId = silentRejoin(context, event)!;
              const joined = join(dropPlaying(context, groupId, event.device.id), event, event.now, settings);
              run(beginJoin(joined, [event.device.id], groupId, event.now, settings), enqueue);
            }),
          },
          'timer.track-end': {
            actions: enqueueActions(({ context, event, enqueue }) => {
              const step = clearDeadline({ ctx: context, effects: [] }, 'track-end');
              run(trackEnded(step.ctx, event.now), enqueue);
            }),
          },
        },
      },
      // A transfer in progress. What fails it the same way in either phase lives here once.
      transferring: {
        initial: 'preparing',
        on: {
          'transfer.failed': [
            { guard: 'groupWaits', actions: 'recordMember' },
            { guard: 'groupSwitches', target: '.switching', actions: ['recordMember', 'scheduleSwitch'] },
            { guard: 'groupCommits', target: 'idle', actions: ['recordMember', 'commitTransfer'] },
            { guard: 'groupRollsBack', target: 'idle', actions: 'groupRollback' },
            {
              guard: 'fromTarget',
              target: 'idle',
              actions: {
                type: 'rollback',
                params: ({ event }) => {
                  assertEvent(event, 'transfer.failed');
                  return { code: 'TRANSFER_FAILED', message: `the target could not play: ${event.reason}` };
                },
              },
            },
          ],
          'timer.prepare': [
            { guard: 'groupSwitches', target: '.switching', actions: ['recordMember', 'scheduleSwitch'] },
            { guard: 'groupCommits', target: 'idle', actions: ['recordMember', 'commitTransfer'] },
            { guard: 'groupRollsBack', target: 'idle', actions: 'groupRollback' },
            {
              guard: 'isCurrent',
              target: 'idle',
              actions: {
                type: 'rollback',
                params: { code: 'TRANSFER_TIMEOUT', message: 'the target did not get ready in time' },
              },
            },
          ],
          'timer.switch': [
            { guard: 'groupCommits', target: 'idle', actions: ['recordMember', 'commitTransfer'] },
            { guard: 'groupRollsBack', target: 'idle', actions: 'groupRollback' },
            {
              guard: 'isCurrent',
              target: 'idle',
              actions: {
                type: 'rollback',
                params: { code: 'TRANSFER_TIMEOUT', message: 'the target did not confirm the switch in time' },
              },
            },
          ],
        },
        states: {
          preparing: {
            on: {
              command: [
                { guard: 'isRetry', actions: 'replay' },
                // A newer transfer supersedes this one.
                {
                  guard: 'needsPrepare',
                  target: 'preparing',
                  reenter: true,
                  actions: [{ type: 'rollback', params: SUPERSEDED_BY_TRANSFER }, 'beginTransfer'],
                },
                {
                  guard: 'isTransfer',
                  target: '#session.idle',
                  actions: [{ type: 'rollback', params: SUPERSEDED_BY_TRANSFER }, 'transferAtOnce'],
                },
                // So does a command that changes what plays: the prepared target would be stale.
                {
                  guard: 'movesPlayback',
                  target: '#session.idle',
                  actions: [{ type: 'rollback', params: SUPERSEDED_BY_COMMAND }, 'apply'],
                },
                { actions: 'apply' },
              ],
              'transfer.ready': [
                { guard: 'groupWaits', actions: 'recordMember' },
                { guard: 'groupSwitches', target: 'switching', actions: ['recordMember', 'scheduleSwitch'] },
                { guard: 'groupCommits', target: '#session.idle', actions: ['recordMember', 'commitTransfer'] },
                { guard: 'groupRollsBack', target: '#session.idle', actions: 'groupRollback' },
                {
                  guard: 'sourceUnreachable',
                  target: '#session.idle',
                  actions: {
                    type: 'rollback',
                    params: {
                      code: 'DEVICE_OFFLINE',
                      message: 'the playing device lost its connection and could not be told to stop',
                    },
                  },
                },
                { guard: 'switchNeeded', target: 'switching', actions: 'scheduleSwitch' },
                { guard: 'fromTarget', target: '#session.idle', actions: 'commitTransfer' },
              ],
              'device.leave': [
                // A member's leave is recorded before the leave itself clears its connection.
                { guard: 'groupWaits', actions: ['recordMember', 'leave'] },
                { guard: 'groupSwitches', target: 'switching', actions: ['recordMember', 'leave', 'scheduleSwitch'] },
                { guard: 'groupCommits', target: '#session.idle', actions: ['recordMember', 'leave', 'commitTransfer'] },
                { guard: 'groupRollsBack', target: '#session.idle', actions: ['recordMember', 'leave', 'groupRollback'] },
                {
                  guard: 'targetLeaves',
                  target: '#session.idle',
                  actions: [
                    'leave',
                    { type: 'rollback', params: { code: 'DEVICE_OFFLINE', message: 'the target disconnected' } },
                  ],
                },
              ],
            },
          },
          switching: {
            // Past the point of no return for a few hundred ms: other commands wait for the outcome.
            exit: 'flushDeferred',
            on: {
              command: [{ guard: 'isRetry', actions: 'replay' }, { actions: 'defer' }],
              'transfer.started': [
                { guard: 'groupWaits', actions: 'recordMember' },
                { guard: 'groupCommits', target: '#session.idle', actions: ['recordMember', 'commitTransfer'] },
                { guard: 'fromTarget', target: '#session.idle', actions: 'commitTransfer' },
              ],
              'device.leave': [
                { guard: 'groupWaits', actions: ['recordMember', 'leave'] },
                { guard: 'groupCommits', target: '#session.idle', actions: ['recordMember', 'leave', 'commitTransfer'] },
                {
                  // Past the point of no return: its start is scheduled on its own clock and will fire
                  // without a connection, and it cannot be told otherwise. Commit: at worst a gap until
                  // it is back, never the source resuming next to it.
                  guard: 'targetLeaves',
                  target: '#session.idle',
                  actions: ['leave', 'commitTransfer'],
                },
                {
                  // Its stop may never have reached it: better a gap (it stopped, and resumes on return) than two players.
                  guard: 'sourceLeaves',
                  target: '#session.idle',
                  actions: [
                    'leave',
                    {
                      type: 'rollback',
                      params: { code: 'DEVICE_OFFLINE', message: 'the playing device disconnected during the switch' },
                    },
                  ],
                },
              ],
            },
          },
        },
      },
    },
  });
}

export type SessionMachine = ReturnType<typeof createSessionMachine>;

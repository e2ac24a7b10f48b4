import { assertEvent, enqueueActions, setup } from 'xstate';
import { applyCommand, trackEnded } from './commands.ts';
import { clearDeadline, type Effect, type SessionContext, type Step } from './context.ts';
import { checkDrift } from './drift.ts';
import type { MachineEvent } from './events.ts';
import { beginJoin, dropPlaying, involvedIds, joiners, recordMember, silentRejoin, sourceUnreachable } from './group-transfer.ts';
import { applyGroupCommand, isGroupCommand } from './groups.ts';
import { sessionGuards } from './machine-guards.ts';
import { hasConnectedDevice, join, leave, offline, opened } from './presence.ts';
import type { SessionSettings } from './settings.ts';
import { beginTransfer, commitTransfer, growFromMember, rollback, scheduleSwitch, transferAtOnce } from './transfer.ts';

/** Side effects leave the machine as one emitted event per transition; the host carries them out. */
export interface EffectsEmitted {
  type: 'effects';
  effects: Effect[];
}

type Rollback = { code: 'SUPERSEDED' | 'TRANSFER_TIMEOUT' | 'DEVICE_OFFLINE' | 'TRANSFER_FAILED'; message: string };
const SUPERSEDED_BY_TRANSFER: Rollback = { code: 'SUPERSEDED', message: 'a newer transfer superseded this one' };
const SUPERSEDED_BY_COMMAND: Rollback = { code: 'SUPERSEDED', message: 'a newer command superseded this transfer' };

type GroupOutcome = 'wait' | 'switch' | 'commit' | 'rollback';
/** Where a group outcome leads, from the `transferring` parent or from one of its children. */
const FROM_PARENT = { switching: '.switching', idle: 'idle' } as const;
const FROM_CHILD = { switching: 'switching', idle: '#session.idle' } as const;

/**
 * What a group transfer's event does, by groupStep's verdict (group-transfer.ts), in one place
 * for every event that can decide it: record the member (and, for a leave, the leave itself,
 * after the member is recorded and before its connection is cleared), then wait, schedule the
 * switch, commit or roll back. The single-device transitions follow these in each list.
 */
function groupOutcomes(outcomes: GroupOutcome[], to: typeof FROM_PARENT | typeof FROM_CHILD, leaving = false) {
  const recorded = leaving ? (['recordMember', 'leave'] as const) : (['recordMember'] as const);
  const all = {
    wait: { guard: 'groupWaits', actions: [...recorded] },
    switch: { guard: 'groupSwitches', target: to.switching, actions: [...recorded, 'scheduleSwitch'] },
    commit: { guard: 'groupCommits', target: to.idle, actions: [...recorded, 'commitTransfer'] },
    rollback: { guard: 'groupRollsBack', target: to.idle, actions: leaving ? ([...recorded, 'groupRollback'] as const) : (['groupRollback'] as const) },
  } as const;
  return outcomes.map((o) => all[o]);
}

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
      // A retry of a command answered before it reaches the machine is answered by the host (result-memory.ts).
      replay: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'command');
        const { command, replyTo } = event;
        const transfer = context.transfer;
        // A second copy of a deferred command, whose first was answered in this step: the host answers it from what it remembered.
        if (!transfer?.waiters.some((w) => w.commandId === command.commandId)) {
          return run({ ctx: context, effects: [{ type: 'replay', to: replyTo, commandId: command.commandId }] }, enqueue);
        }
        // Still in flight: answer this sender too when it resolves.
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
      // A command deferred twice (sent again during the switch) runs once; its copy is answered as the first was.
      flushDeferred: enqueueActions(({ context, event, enqueue }) => {
        const ids = new Set<string>();
        for (const d of context.deferred) {
          const retried = ids.has(d.command.commandId);
          ids.add(d.command.commandId);
          enqueue.raise(retried ? { type: 'command', ...d, now: event.now, retried } : { type: 'command', ...d, now: event.now });
        }
        enqueue.assign({ deferred: [] });
      }),
    },
    guards: sessionGuards,
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
            ...groupOutcomes(['wait', 'switch', 'commit', 'rollback'], FROM_PARENT),
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
            ...groupOutcomes(['switch', 'commit', 'rollback'], FROM_PARENT),
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
            ...groupOutcomes(['commit', 'rollback'], FROM_PARENT),
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
                ...groupOutcomes(['wait', 'switch', 'commit', 'rollback'], FROM_CHILD),
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
                ...groupOutcomes(['wait', 'switch', 'commit', 'rollback'], FROM_CHILD, true),
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
                ...groupOutcomes(['wait', 'commit'], FROM_CHILD),
                { guard: 'fromTarget', target: '#session.idle', actions: 'commitTransfer' },
              ],
              'device.leave': [
                ...groupOutcomes(['wait', 'commit'], FROM_CHILD, true),
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

import { enqueueActions, setup } from 'xstate';
import { applyCommand, movesPlayback, trackEnded } from './commands.ts';
import { clearDeadline, type Effect, type SessionContext, type Step } from './context.ts';
import type { SessionEvent } from './events.ts';
import { hasConnectedDevice, join, leave, offline, opened } from './presence.ts';
import type { SessionSettings } from './settings.ts';
import {
  beginTransfer,
  commitTransfer,
  needsPrepare,
  rollback,
  scheduleSwitch,
  switchNeeded,
  transferAtOnce,
  transferIntent,
} from './transfer.ts';

/** What a session needs from outside: the time, its settings and each device's measured latency. */
export interface SessionDeps {
  now(): number;
  settings: SessionSettings;
  /** Lead time needed to reach these devices before a switch (from their measured round trips). */
  leadMs(deviceIds: string[]): number;
}

/** Side effects leave the machine as one emitted event per transition; the host carries them out. */
export interface EffectsEmitted {
  type: 'effects';
  effects: Effect[];
}

type E<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;

/**
 * One user's session. Every change runs through here: the state says where a transfer stands
 * (idle -> preparing -> switching -> idle), the context holds the cluster, and every side effect
 * leaves as data in an emitted `effects` event, which the host carries out.
 */
export function createSessionMachine(deps: SessionDeps) {
  const { settings } = deps;
  const now = () => deps.now();
  const run = (step: Step, enqueue: { assign: (ctx: SessionContext) => void; emit: (e: EffectsEmitted) => void }) => {
    enqueue.assign(step.ctx);
    if (step.effects.length) enqueue.emit({ type: 'effects', effects: step.effects });
  };
  const matches = ({ context, event }: { context: SessionContext; event: SessionEvent }) =>
    'transferId' in event && context.transfer?.id === event.transferId;
  const fromTarget = ({ context, event }: { context: SessionContext; event: SessionEvent }) =>
    matches({ context, event }) && 'deviceId' in event && event.deviceId === context.transfer?.targetId;

  return setup({
    types: {
      context: {} as SessionContext,
      events: {} as SessionEvent,
      input: {} as SessionContext,
      emitted: {} as EffectsEmitted,
    },
    actions: {
      unknownTransfer: enqueueActions(({ context, event, enqueue }) => {
        const e = event as E<'transfer.ready'>;
        const message = { type: 'error', code: 'BAD_REQUEST', message: `transfer ${e.transferId} is not in progress for ${e.deviceId}`, ref: e.type } as const;
        run({ ctx: context, effects: [{ type: 'send', deviceId: e.deviceId, message }] }, enqueue);
      }),
      replay: enqueueActions(({ context, event, enqueue }) => {
        const { command, replyTo } = event as E<'command'>;
        const done = context.results.find((r) => r.commandId === command.commandId);
        if (done) return run({ ctx: context, effects: [{ type: 'reply', to: replyTo, result: done.result }] }, enqueue);
        // Still in flight: answer this sender too when it resolves.
        const transfer = context.transfer!;
        run({ ctx: { ...context, transfer: { ...transfer, waiters: [...transfer.waiters, { commandId: command.commandId, replyTo }] } }, effects: [] }, enqueue);
      }),
      apply: enqueueActions(({ context, event, enqueue }) => {
        const { command, replyTo, origin } = event as E<'command'>;
        run(applyCommand(context, command, { commandId: command.commandId, replyTo }, origin, now()), enqueue);
      }),
      beginTransfer: enqueueActions(({ context, event, enqueue }) => {
        const { command, replyTo } = event as E<'command'>;
        if (command.type !== 'command.transfer' && command.type !== 'command.play') return;
        run(beginTransfer(context, command, { commandId: command.commandId, replyTo }, now(), settings), enqueue);
      }),
      transferAtOnce: enqueueActions(({ context, event, enqueue }) => {
        const { command, replyTo } = event as E<'command'>;
        if (command.type !== 'command.transfer' && command.type !== 'command.play') return;
        run(transferAtOnce(context, command, { commandId: command.commandId, replyTo }, now()), enqueue);
      }),
      scheduleSwitch: enqueueActions(({ context, enqueue }) => {
        const t = context.transfer!;
        const lead = deps.leadMs(t.sourceId ? [t.targetId, t.sourceId] : [t.targetId]);
        run(scheduleSwitch(context, now(), lead, settings), enqueue);
      }),
      commitTransfer: enqueueActions(({ context, enqueue }) => run(commitTransfer(context, now()), enqueue)),
      rollback: enqueueActions(({ context, enqueue }, params: { code: 'SUPERSEDED' | 'TRANSFER_TIMEOUT' | 'DEVICE_OFFLINE'; message: string }) => {
        if (context.transfer) run(rollback(context, params.code, params.message), enqueue);
      }),
      rollbackFailed: enqueueActions(({ context, event, enqueue }) => {
        const reason = (event as E<'transfer.failed'>).reason;
        run(rollback(context, 'TRANSFER_FAILED', `the target could not play: ${reason}`), enqueue);
      }),
      leave: enqueueActions(({ context, event, enqueue }) => {
        const e = event as E<'device.leave'>;
        run(leave(context, e.deviceId, e.connId, e.goodbye, now(), settings), enqueue);
      }),
      defer: enqueueActions(({ context, event, enqueue }) => {
        const { command, replyTo, origin } = event as E<'command'>;
        enqueue.assign({ deferred: [...context.deferred, { command, replyTo, origin }] });
      }),
      flushDeferred: enqueueActions(({ context, enqueue }) => {
        for (const d of context.deferred) enqueue.raise({ type: 'command', ...d });
        enqueue.assign({ deferred: [] });
      }),
    },
    guards: {
      isRetry: ({ context, event }) =>
        event.type === 'command' &&
        (context.results.some((r) => r.commandId === event.command.commandId) ||
          Boolean(context.transfer?.waiters.some((w) => w.commandId === event.command.commandId))),
      needsPrepare: ({ context, event }) => event.type === 'command' && needsPrepare(context, event.command),
      isTransfer: ({ context, event }) => event.type === 'command' && transferIntent(context, event.command) !== null,
      movesPlayback: ({ event }) => event.type === 'command' && movesPlayback(event.command),
      fromTarget,
      switchNeeded: ({ context, event }) => fromTarget({ context, event }) && switchNeeded(context),
      targetLeaves: ({ context, event }) =>
        event.type === 'device.leave' &&
        event.deviceId === context.transfer?.targetId &&
        context.devices[event.deviceId]?.connId === event.connId,
      isCurrent: ({ context, event }) => matches({ context, event }),
      sourceLeaves: ({ context, event }) =>
        event.type === 'device.leave' &&
        event.deviceId === context.transfer?.sourceId &&
        context.devices[event.deviceId]?.connId === event.connId,
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
        actions: enqueueActions(({ context, event, enqueue }) => run(opened(context, event.restored, now(), settings), enqueue)),
      },
      'device.join': { actions: enqueueActions(({ context, event, enqueue }) => run(join(context, event, now(), settings), enqueue)) },
      'device.leave': {
        actions: enqueueActions(({ context, event, enqueue }) =>
          run(leave(context, event.deviceId, event.connId, event.goodbye, now(), settings), enqueue),
        ),
      },
      'timer.grace': {
        actions: enqueueActions(({ context, event, enqueue }) => run(offline({ ctx: context, effects: [] }, event.deviceId, now()), enqueue)),
      },
      'timer.idle': {
        actions: enqueueActions(({ context, enqueue }) => {
          const step = clearDeadline({ ctx: context, effects: [] }, 'idle');
          if (!hasConnectedDevice(context)) step.effects.push({ type: 'idle' });
          run(step, enqueue);
        }),
      },
      // A track that ends mid-transfer moves on once the transfer resolves (commit or rollback re-arm it).
      'timer.track-end': { actions: enqueueActions(({ context, enqueue }) => run(clearDeadline({ ctx: context, effects: [] }, 'track-end'), enqueue)) },
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
            { guard: 'needsPrepare', target: 'preparing', actions: 'beginTransfer' },
            { guard: 'isTransfer', actions: 'transferAtOnce' },
            { actions: 'apply' },
          ],
          'timer.track-end': {
            actions: enqueueActions(({ context, enqueue }) => {
              const step = clearDeadline({ ctx: context, effects: [] }, 'track-end');
              run(trackEnded(step.ctx, now()), enqueue);
            }),
          },
        },
      },
      preparing: {
        on: {
          command: [
            { guard: 'isRetry', actions: 'replay' },
            // A newer transfer supersedes this one.
            { guard: 'needsPrepare', target: 'preparing', reenter: true, actions: [{ type: 'rollback', params: { code: 'SUPERSEDED', message: 'a newer transfer superseded this one' } }, 'beginTransfer'] },
            { guard: 'isTransfer', target: 'idle', actions: [{ type: 'rollback', params: { code: 'SUPERSEDED', message: 'a newer transfer superseded this one' } }, 'transferAtOnce'] },
            // So does a command that changes what plays: the prepared target would be stale.
            { guard: 'movesPlayback', target: 'idle', actions: [{ type: 'rollback', params: { code: 'SUPERSEDED', message: 'a newer command superseded this transfer' } }, 'apply'] },
            { actions: 'apply' },
          ],
          'transfer.ready': [
            {
              guard: 'sourceUnreachable',
              target: 'idle',
              actions: { type: 'rollback', params: { code: 'DEVICE_OFFLINE', message: 'the playing device lost its connection and could not be told to stop' } },
            },
            { guard: 'switchNeeded', target: 'switching', actions: 'scheduleSwitch' },
            { guard: 'fromTarget', target: 'idle', actions: 'commitTransfer' },
          ],
          'transfer.failed': { guard: 'fromTarget', target: 'idle', actions: { type: 'rollbackFailed' } },
          'timer.prepare': {
            guard: 'isCurrent',
            target: 'idle',
            actions: { type: 'rollback', params: { code: 'TRANSFER_TIMEOUT', message: 'the target did not get ready in time' } },
          },
          'device.leave': [
            {
              guard: 'targetLeaves',
              target: 'idle',
              actions: ['leave', { type: 'rollback', params: { code: 'DEVICE_OFFLINE', message: 'the target disconnected' } }],
            },
            { actions: 'leave' },
          ],
        },
      },
      switching: {
        // Past the point of no return for a few hundred ms: other commands wait for the outcome.
        exit: 'flushDeferred',
        on: {
          command: [{ guard: 'isRetry', actions: 'replay' }, { actions: 'defer' }],
          'transfer.started': { guard: 'fromTarget', target: 'idle', actions: 'commitTransfer' },
          'transfer.failed': { guard: 'fromTarget', target: 'idle', actions: { type: 'rollbackFailed' } },
          'timer.switch': {
            guard: 'isCurrent',
            target: 'idle',
            actions: { type: 'rollback', params: { code: 'TRANSFER_TIMEOUT', message: 'the target did not confirm the switch in time' } },
          },
          'device.leave': [
            {
              // Past the point of no return: its start is scheduled on its own clock and will fire
              // without a connection, and it cannot be told otherwise. Commit: at worst a gap until
              // it is back, never the source resuming next to it.
              guard: 'targetLeaves',
              target: 'idle',
              actions: ['leave', 'commitTransfer'],
            },
            {
              // Its stop may never have reached it: better a gap (it stopped, and resumes on return) than two players.
              guard: 'sourceLeaves',
              target: 'idle',
              actions: ['leave', { type: 'rollback', params: { code: 'DEVICE_OFFLINE', message: 'the playing device disconnected during the switch' } }],
            },
            { actions: 'leave' },
          ],
        },
      },
    },
  });
}

export type SessionMachine = ReturnType<typeof createSessionMachine>;

import type { CommandResult, ErrorCode } from '@handoff/protocol';
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import type { SessionEvent } from '../session/events.ts';
import type { SessionObserver } from '../session/session-options.ts';
import type { Metrics } from './metrics.ts';

/** Commands awaiting their answer, per session; past this many (answers lost) the oldest are forgotten. */
const MAX_PENDING = 1024;

/**
 * Watches one user's session for the hub: times every command from its arrival to its answer,
 * every transfer from prepare to commit or rollback, and the target's start against the
 * scheduled switch; counts them into `metrics`, and logs transfer outcomes and refused commands
 * with their correlation id (transfer id or command id).
 */
export function sessionMetrics(userId: string, clock: Clock, metrics: Metrics, log: Log): SessionObserver {
  // The latest command waits in two variables: most are answered before the next one arrives, so
  // the map (answers that take longer: transfers, durable writes) is touched only when one is not.
  let latestId: string | null = null;
  let latestAt = 0;
  const arrivals = new Map<string, number>();
  const transfers = new Map<string, { startedAt: number; switchAt?: number }>();
  return {
    input(event: SessionEvent) {
      if (event.type === 'command') {
        if (latestId !== null) {
          if (arrivals.size >= MAX_PENDING) arrivals.delete(arrivals.keys().next().value!);
          arrivals.set(latestId, latestAt);
        }
        latestId = event.command.commandId;
        latestAt = clock.now();
      } else if (event.type === 'transfer.started') {
        const switchAt = transfers.get(event.transferId)?.switchAt;
        if (switchAt === undefined) return;
        if (event.atServerTime !== undefined) metrics.switchLateness(event.atServerTime - switchAt, 'reported');
        else metrics.switchLateness(clock.now() - switchAt, 'arrival');
      }
    },
    replied(result: CommandResult) {
      let arrived: number | undefined;
      if (result.commandId === latestId) {
        arrived = latestAt;
        latestId = null;
      } else if ((arrived = arrivals.get(result.commandId)) !== undefined) arrivals.delete(result.commandId);
      const ms = arrived === undefined ? undefined : clock.now() - arrived;
      metrics.commandDone(result.ok ? 'ok' : result.code, ms);
      if (!result.ok) log.debug({ userId, correlationId: result.commandId, code: result.code, reason: result.message }, 'command refused');
    },
    traced(effect) {
      if (effect.kind !== 'transfer.phase' || effect.correlationId === undefined) return;
      const transferId = effect.correlationId;
      switch (effect.name) {
        case 'prepare':
          if (transfers.size >= MAX_PENDING) transfers.delete(transfers.keys().next().value!);
          transfers.set(transferId, { startedAt: clock.now() });
          return;
        case 'switch-scheduled': {
          const t = transfers.get(transferId);
          if (t) t.switchAt = effect.payload.atServerTime;
          return;
        }
        case 'committed':
        case 'rolled-back': {
          const t = transfers.get(transferId);
          transfers.delete(transferId);
          const ms = t ? clock.now() - t.startedAt : undefined;
          const code: 'ok' | ErrorCode = effect.name === 'committed' ? 'ok' : effect.payload.code;
          metrics.transferDone(code, ms);
          const fields = { userId, correlationId: transferId, code, ...(ms !== undefined ? { ms: Math.round(ms) } : {}) };
          if (code === 'ok') log.debug(fields, 'transfer committed');
          else if (code === 'SUPERSEDED') log.info(fields, 'transfer superseded by a newer one');
          else log.warn(fields, 'transfer rolled back');
          return;
        }
      }
    },
  };
}

import type { Command } from '@handoff/protocol';
import type { Clock } from './clock.ts';
import type { HubSettings } from './hub-settings.ts';
import type { RateDecision } from './limits/rate-limit.ts';
import type { TurnBudget } from './limits/turn-budget.ts';
import type { Log } from './log.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { SessionPort } from './session/session-port.ts';

/** What a device connection needs of the hub that holds it (the Hub; tests may bring their own). */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly settings: HubSettings;
  readonly log: Log;
  readonly metrics: Metrics;
  /** Each user's share of one event-loop turn. */
  readonly turns: TurnBudget;
  /** Whether the user may run one more command now. */
  allowCommand(userId: string): RateDecision;
  /** What the user's connections talk to: the session, or a route to it. */
  portFor(userId: string): Promise<SessionPort>;
  /**
   * How long a device's command may go unanswered before the hub answers it COMMAND_TIMEOUT
   * itself (many nodes: a Redis stall or a lost owner), or null for no deadline (one node).
   */
  commandDeadlineMs(command: Command): number | null;
  /** How far behind the hub's event loop has run in all (loop-lag.ts): time in which no socket was read. */
  loopLagMs(): number;
  /** The connection with this id closed. */
  forget(connId: string): void;
}

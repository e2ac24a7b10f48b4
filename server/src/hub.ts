import { CloseCode, type Cluster, type Command, type CommandResult } from '@handoff/protocol';
import type { Principal } from './auth/token.ts';
import type { Clock } from './clock.ts';
import type { Placement, SessionOwner, TraceWatch } from './cluster/placement.ts';
import { commandDeadlineMs } from './cluster/deadlines.ts';
import type { ConnectionHost } from './connection-host.ts';
import { DeviceConnection } from './device-connection.ts';
import { LocalPlacement } from './local-placement.ts';
import { LoopLag } from './loop-lag.ts';
import { HubError, mayHaveCommitted, SESSION_MOVED } from './errors.ts';
import { HeartbeatWheel } from './heartbeat-wheel.ts';
import type { HubSettings } from './hub-settings.ts';
import { RateLimiter, type RateDecision } from './limits/rate-limit.ts';
import { TurnBudget } from './limits/turn-budget.ts';
import type { Log } from './log.ts';
import { noopMetrics, type Metrics } from './metrics/metrics.ts';
import { sessionMetrics } from './metrics/session-metrics.ts';
import { toCluster } from './session/context.ts';
import { createSessionMachine, type SessionMachine } from './session/session-machine.ts';
import { Session } from './session/session.ts';
import type { PersistState } from './session/session-options.ts';
import type { HubSocket } from './socket.ts';
import type { SessionPort } from './session/session-port.ts';
import { PERSISTED_SESSION_VERSION, readPersisted, type PersistedSession, type Store } from './store/store.ts';
import type { TraceLog } from './trace/trace-log.ts';

export interface HubOptions {
  clock: Clock;
  store: Store;
  trace: TraceLog;
  settings: HubSettings;
  log: Log;
  /** Counters and timings for /metrics. @default noopMetrics */
  metrics?: Metrics;
  /** Many nodes (cluster/mesh.ts): where each user's session runs. @default every session runs here (LocalPlacement) */
  placement?: (hub: Hub) => Placement;
}

/**
 * The hub: one session per user, created when first needed (restored from the store when it has
 * one), the device connections linked to them, their heartbeats, and the entry point for
 * commands that do not come from a device socket (HTTP).
 */
export class Hub implements ConnectionHost {
  readonly clock: Clock;
  readonly settings: HubSettings;
  readonly log: Log;
  readonly trace: TraceLog;
  readonly metrics: Metrics;
  /** Who runs which session: this node alone (LocalPlacement), or a Mesh of many. */
  readonly placement: Placement;
  /** Whether other nodes share the users (a placement was given): commands then have deadlines. */
  private readonly manyNodes: boolean;
  /** Each user's share of one event-loop turn (device frames). */
  readonly turns: TurnBudget;
  private readonly store: Store;
  private drainReason: string | null = null;
  private readonly sessions = new Map<string, Session>();
  private readonly opening = new Map<string, Promise<Session>>();
  /** Device connections by id. */
  private readonly connections = new Map<string, DeviceConnection>();
  /** Numbers the connection ids. */
  private connSeq = 0;
  private readonly perAddress = new Map<string, number>();
  private readonly commandLimiter: RateLimiter;
  /** HTTP commands waiting for their session's answer, by ticket (with the user, so a dropped session releases its own). */
  private readonly httpWaiters = new Map<string, { userId: string; answer: (result: CommandResult) => void }>();
  private readonly heartbeats: HeartbeatWheel<DeviceConnection>;
  /** How far behind this hub's event loop has run: not counted as any device's silence. */
  private readonly lag: LoopLag;
  /** The session chart, one for every session here: what differs per session arrives in its events. */
  private readonly machine: SessionMachine;
  private tickets = 0;

  constructor(opts: HubOptions) {
    this.clock = opts.clock;
    this.settings = opts.settings;
    this.log = opts.log;
    this.trace = opts.trace;
    this.store = opts.store;
    this.metrics = opts.metrics ?? noopMetrics;
    this.commandLimiter = new RateLimiter({ ratePerSec: this.settings.commandsPerSec, burst: this.settings.commandBurst }, () => this.clock.now());
    this.machine = createSessionMachine(this.settings.session);
    this.turns = new TurnBudget(this.settings.framesPerUserPerTurn);
    this.lag = new LoopLag(this.clock);
    this.heartbeats = new HeartbeatWheel(this.clock, this.settings.heartbeatMs, (conn) => this.heartbeat(conn));
    this.manyNodes = opts.placement !== undefined;
    this.placement = opts.placement?.(this) ?? new LocalPlacement(this);
  }

  /** A device socket opened with a verified token, from `address`. */
  connectDevice(socket: HubSocket, principal: Principal, address = '?'): DeviceConnection {
    const id = `c${(++this.connSeq).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const conn = new DeviceConnection(this, socket, principal, id, address);
    this.connections.set(id, conn);
    this.heartbeats.add(conn);
    const open = (this.perAddress.get(address) ?? 0) + 1;
    this.perAddress.set(address, open);
    if (open > this.settings.maxConnectionsPerAddress) {
      conn.close(CloseCode.RATE_LIMITED, `more than ${this.settings.maxConnectionsPerAddress} connections from one address`, true);
    }
    return conn;
  }

  /** Many nodes: a device's command gets the deadline of a command across nodes; one node needs none. */
  commandDeadlineMs(command: Command): number | null {
    return this.manyNodes ? commandDeadlineMs(command, this.settings) : null;
  }

  loopLagMs(): number {
    return this.lag.totalMs();
  }

  /** Whether the user may run one more command now (all of their devices share the budget). */
  allowCommand(userId: string): RateDecision {
    return this.commandLimiter.take(userId);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Device sockets past their hello. Counted when asked (scrapes), not kept up on the hot path. */
  get deviceCount(): number {
    let n = 0;
    for (const conn of this.connections.values()) if (conn.deviceId) n++;
    return n;
  }

  /** The user's device connections on this hub (for operators). */
  connectionsOf(userId: string): DeviceConnection[] {
    return [...this.connections.values()].filter((conn) => conn.userId === userId);
  }

  /** The user's session if it is open on this hub, without opening one. */
  openSession(userId: string): Session | null {
    return this.sessions.get(userId) ?? null;
  }

  /**
   * Draining: this hub should get no new traffic (`/readyz` answers 503 with the reason) but
   * keeps serving what it has. Set on SIGTERM before the hub stops; never unset.
   */
  startDraining(reason: string): void {
    if (this.drainReason !== null) return;
    this.drainReason = reason;
    this.log.info({ reason }, 'draining: not ready for new traffic');
  }

  get draining(): boolean {
    return this.drainReason !== null;
  }

  /** Why the hub is draining, or null. */
  get drainingBecause(): string | null {
    return this.drainReason;
  }

  forget(connId: string): void {
    const conn = this.connections.get(connId);
    if (!conn) return;
    this.connections.delete(connId);
    this.heartbeats.delete(conn);
    const open = (this.perAddress.get(conn.address) ?? 1) - 1;
    if (open > 0) this.perAddress.set(conn.address, open);
    else this.perAddress.delete(conn.address);
  }

  /** The user's session, opened (and restored from the store) on first use. */
  sessionFor(userId: string): Promise<Session> {
    const open = this.sessions.get(userId);
    if (open) return Promise.resolve(open);
    let pending = this.opening.get(userId);
    if (!pending) {
      pending = this.open(userId).finally(() => this.opening.delete(userId));
      this.opening.set(userId, pending);
    }
    return pending;
  }

  /** What a device connection of the user talks to: the session here, or (many nodes) a route to it. */
  portFor(userId: string): Promise<SessionPort> {
    return this.placement.portFor(userId);
  }

  /** Many nodes: open the user's session here under its partition's lease; it is durable and its writes are fenced. */
  takeSession(userId: string, owner: SessionOwner): Promise<Session> {
    return this.open(userId, owner);
  }

  /** Many nodes: stop the user's session here without writing anything (another node owns it now). */
  dropSession(userId: string): void {
    const session = this.sessions.get(userId);
    if (!session) return;
    this.sessions.delete(userId);
    session.stop();
    // Its HTTP callers hear at once: their command's write may be under way, so it may still take effect.
    for (const [ticket, waiter] of this.httpWaiters) {
      if (waiter.userId !== userId) continue;
      this.httpWaiters.delete(ticket);
      waiter.answer({ type: 'command.result', commandId: '', ok: false, code: 'COMMAND_TIMEOUT', message: SESSION_MOVED });
    }
  }

  private async open(userId: string, owner?: SessionOwner): Promise<Session> {
    // Many nodes: a claim under the partition's fencing token (refused if a newer owner claimed since).
    const stored = await this.store.load(userId, owner?.token);
    const restored = stored ? readPersisted(stored) : undefined;
    const record = ({ revision, value, context, results }: PersistState): PersistedSession => ({
      version: PERSISTED_SESSION_VERSION,
      revision,
      snapshot: { value, context: { ...context, results } },
      savedAt: this.clock.now(),
      ...(owner ? { node: owner.node } : {}),
    });
    const session = new Session({
      userId,
      clock: this.clock,
      machine: this.machine,
      settings: this.settings.session,
      trace: this.trace,
      replyHttp: (ticket, result) => {
        this.httpWaiters.get(ticket)?.answer(result);
        this.httpWaiters.delete(ticket);
      },
      persist: (state) => {
        this.store.save(userId, record(state)).catch((err: unknown) => this.log.error({ err, userId }, 'could not persist session'));
      },
      ...(owner ? { durable: { save: (state) => this.store.save(userId, record(state), owner.token), lost: (err) => owner.lost(err) } } : {}),
      idle: () => this.closeSession(userId),
      onError: (err) => this.log.error({ err, userId }, 'session error'),
      observer: sessionMetrics(userId, this.clock, this.metrics, this.log),
      ...(restored ? { restored } : {}),
    });
    this.sessions.set(userId, session);
    return session;
  }

  private closeSession(userId: string): void {
    const session = this.sessions.get(userId);
    if (!session) return;
    // Defer: this runs inside the session's own transition.
    queueMicrotask(() => {
      if (this.sessions.get(userId) !== session) return;
      this.sessions.delete(userId);
      session.stop();
      this.placement.sessionClosed(userId, session);
      this.log.debug({ userId }, 'session closed after idle time');
    });
  }

  /** Run a command on behalf of the user (HTTP); resolves once it is committed or refused. */
  command(userId: string, command: Command, origin: string): Promise<CommandResult> {
    return this.placement.command(userId, command, origin);
  }

  /**
   * Run a command on a session open here; resolves once it is committed or refused, or after
   * `timeoutMs` with COMMAND_TIMEOUT, which says the command may still take effect (a write can be
   * under way): the same commandId sent again answers with its real outcome.
   */
  commandOn(session: Session, command: Command, origin: string, timeoutMs = this.settings.commandTimeoutMs): Promise<CommandResult> {
    const ticket = `h${++this.tickets}`;
    return new Promise<CommandResult>((resolve) => {
      const timer = setTimeout(() => {
        this.httpWaiters.delete(ticket);
        resolve({ type: 'command.result', commandId: command.commandId, ok: false, code: 'COMMAND_TIMEOUT', message: mayHaveCommitted(timeoutMs) });
      }, timeoutMs);
      this.httpWaiters.set(ticket, {
        userId: session.userId,
        answer: (result) => {
          clearTimeout(timer);
          resolve(result.commandId === '' ? { ...result, commandId: command.commandId } : result);
        },
      });
      const seq = session.traceEvent('message.in', command.type, { payload: { ...command, origin }, correlationId: command.commandId });
      session.send(
        { type: 'command', command, replyTo: { kind: 'http', ticket }, origin },
        { parentSeq: seq, correlationId: command.commandId },
      );
    });
  }

  /** The user's cluster as devices see it. */
  cluster(userId: string): Promise<Cluster> {
    return this.placement.cluster(userId);
  }

  /** The user's cluster if their session is open on this hub, without opening one (a viewer must not create sessions). */
  openCluster(userId: string): Cluster | null {
    const session = this.sessions.get(userId);
    return session ? toCluster(session.context) : this.placement.knownCluster(userId);
  }

  /**
   * The user's cluster from wherever the session runs, without opening one (null when it runs
   * nowhere). On one node the same as openCluster; on many it asks the owner.
   */
  async readCluster(userId: string): Promise<Cluster | null> {
    const session = this.sessions.get(userId);
    if (session) return toCluster(session.context);
    return this.placement.peekCluster(userId);
  }

  /** Many nodes: keep this hub's trace ring of the user in step with the owner's while a viewer watches (null on one node). */
  watchTrace(userId: string): TraceWatch | null {
    return this.placement.watchTrace(userId);
  }

  /**
   * Once per heartbeat for every socket (spread over the period): a clock ping, or a disconnect
   * when silent too long. Silence is counted in the hub's own time (`silentForMs`): while the hub
   * is behind, a device's answers wait unread and its pings go out late, which is not its silence.
   */
  private heartbeat(conn: DeviceConnection): void {
    if (conn.silentForMs() > this.settings.heartbeatMs * this.settings.missedHeartbeats) {
      conn.close(CloseCode.HEARTBEAT_TIMEOUT, 'no heartbeat');
    } else if (conn.deviceId) conn.ping();
  }

  /** Stop: tell every device to reconnect (elsewhere), close sockets, stop sessions. */
  async close(): Promise<void> {
    // Many nodes: hand every session here to another node first (devices keep playing meanwhile).
    await this.placement.drain();
    this.heartbeats.stop();
    this.lag.stop();
    for (const conn of [...this.connections.values()]) {
      conn.sendMessage({ type: 'hub.reconnect', reason: 'hub shutting down' });
      conn.close(CloseCode.GOING_AWAY, 'hub shutting down');
    }
    for (const session of this.sessions.values()) session.stop();
    this.sessions.clear();
    for (const waiter of this.httpWaiters.values()) {
      waiter.answer({ type: 'command.result', commandId: '', ok: false, code: 'INTERNAL', message: 'hub shutting down' });
    }
    await this.placement.close();
    await this.store.close();
  }
}

export { HubError };

import { CloseCode, soundsOn, type Cluster, type TraceExtraOf, type TraceKind } from '@handoff/protocol';
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import { attachDevice, type DeviceJoin } from '../session/attach-device.ts';
import type { SessionEvent } from '../session/events.ts';
import type { Cause, LocalLink, SessionPort } from '../session/session-port.ts';
import type { DeviceLink } from '../session/device-link.ts';
import type { Session } from '../session/session.ts';
import type { Outbox } from './outbox.ts';
import type { EventItem } from './wire.ts';

export type Route = { kind: 'local'; session: Session } | { kind: 'remote'; node: string };
type Join = DeviceJoin;

/** What a RoutedSession needs of the node it lives on (the Mesh). */
export interface RouteHost {
  readonly outbox: Outbox;
  readonly log: Log;
  readonly clock: Clock;
  /** Where the user's session runs: here (taking it if free), or on which node. */
  route(userId: string): Promise<Route>;
  /**
   * Whether this join (of connection `connId`, made at `at`) may take the device's place in the
   * session: not if the device joined since on another connection (a join sent again after a
   * takeover can arrive after a newer one). Owner side; records the winner.
   */
  claimJoin(userId: string, deviceId: string, connId: string, at: number): boolean;
  /** A device's command goes to the owner on another node (for the metric). */
  commandCrossed(): void;
  /** Index a local connection by id for deliveries from the owner (null: forget it). */
  indexConn(connId: string, routed: RoutedSession | null): void;
  /** The routed session has no connection and nothing to send: it may be dropped. */
  idle(routed: RoutedSession): void;
}

/** A cause as the owner records it: `-n` placeholders replaced by the seqs given to trace item n. */
export function resolveCause(cause: Cause | undefined, seqs: Map<number, number>): Cause {
  if (!cause) return {};
  const parent = cause.parentSeq;
  if (parent === undefined || parent >= 0) return cause;
  const seq = seqs.get(-parent);
  const { parentSeq: _placeholder, ...rest } = cause;
  return seq === undefined ? rest : { ...rest, parentSeq: seq };
}

/**
 * One user's session as this node's device connections see it, wherever it runs. When it runs
 * here, every call goes straight to it (as on one node). When another node owns it, events and
 * trace records are posted to that node's inbox and what it sends comes back through the Mesh.
 * While the owner is unknown or gone (a takeover), they wait in order; once a new owner is
 * found they go to it, after every device connected here has joined it again.
 */
export class RoutedSession implements SessionPort {
  private route: Route | null = null;
  private readonly links = new Map<string, LocalLink>();
  private readonly byConn = new Map<string, LocalLink>();
  /** The join of every connection here that joined (and when), so it can join a new owner. */
  private readonly joins = new Map<string, { join: Join; at: number }>();
  private queue: EventItem[] = [];
  private n = 0;
  private resolving = false;
  private waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  /** The newest cluster this node saw for the user (to tell a new owner what devices play). */
  lastCluster: Cluster | null = null;

  constructor(
    readonly userId: string,
    private readonly host: RouteHost,
  ) {}

  /** Where it runs now (null while finding out). */
  get current(): Route | null {
    return this.route;
  }

  get connections(): number {
    return this.links.size;
  }

  /** Resolves once it is known where the session runs. */
  ready(): Promise<void> {
    if (this.route) return Promise.resolve();
    const waiting = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.resolve();
    return waiting;
  }

  link(deviceId: string, link: LocalLink): DeviceLink | undefined {
    const previous = this.links.get(deviceId);
    this.links.set(deviceId, link);
    this.byConn.set(link.id, link);
    this.host.indexConn(link.id, this);
    if (this.route?.kind === 'local') return this.route.session.link(deviceId, link);
    return previous !== link ? previous : undefined;
  }

  unlink(deviceId: string, link: LocalLink): void {
    if (this.links.get(deviceId) === link) this.links.delete(deviceId);
    this.byConn.delete(link.id);
    this.host.indexConn(link.id, null);
    if (this.route?.kind === 'local') this.route.session.unlink(deviceId, link);
    queueMicrotask(() => {
      if (this.links.size === 0 && this.joins.size === 0 && this.queue.length === 0) this.host.idle(this);
    });
  }

  send(event: SessionEvent, cause: Cause = {}): void {
    const at = this.host.clock.now();
    if (event.type === 'device.join') this.joins.set(event.connId, { join: event, at });
    else if (event.type === 'device.leave') this.joins.delete(event.connId);
    if (this.route?.kind === 'local') {
      if (event.type === 'device.join') return this.joinLocal(this.route.session, event, at, cause);
      return this.route.session.send(event, cause);
    }
    const caused = cause.parentSeq !== undefined || cause.correlationId !== undefined ? { cause } : {};
    if (event.type === 'command') this.host.commandCrossed();
    this.push({ t: 'ev', u: this.userId, n: ++this.n, ev: event, ...caused, ...(event.type === 'device.join' ? { at } : {}) });
  }

  traceEvent<K extends TraceKind, T extends string>(kind: K, type: T, extra?: TraceExtraOf<K, T>): number {
    if (this.route?.kind === 'local') return this.route.session.traceEvent(kind, type, extra);
    const n = ++this.n;
    const item: EventItem = { t: 'ev', u: this.userId, n, tr: { kind, type, ...(extra ? { extra } : {}) } };
    if (kind === 'clock' && extra?.deviceId) {
      const link = this.links.get(extra.deviceId);
      if (link) item.lead = { c: link.id, ms: link.leadMs() };
    }
    this.push(item);
    return -n;
  }

  admits(deviceId: string, maxDevices: number): boolean {
    // A remote owner checks when the join reaches it (and closes the connection if it is over).
    return this.route?.kind === 'local' ? this.route.session.admits(deviceId, maxDevices) : true;
  }

  /** A local connection got a message from the owner. */
  delivered(connId: string, text: string, revision: number | undefined): void {
    this.byConn.get(connId)?.send(text);
    if (revision !== undefined && revision >= (this.lastCluster?.revision ?? -1)) {
      const message = JSON.parse(text) as { cluster?: Cluster };
      if (message.cluster) this.lastCluster = message.cluster;
    }
  }

  closeConn(connId: string, code: number, reason: string): void {
    this.byConn.get(connId)?.close(code, reason);
  }

  /** Items the owner never got (it is gone) or sent back (not its session): send them again once the owner is found. */
  retry(items: EventItem[]): void {
    if (this.route?.kind === 'local') {
      this.queue.push(...items);
      return this.attach(this.route);
    }
    this.queue.push(...items);
    this.resolve();
  }

  /** The node this routes to is gone (what it did not acknowledge goes to the next owner), or the session comes here: find the owner again. */
  reroute(): void {
    if (this.route?.kind === 'local') return;
    this.resolve();
  }

  /** The session ran here and does not any more (lease lost, drained, idle): commands waiting on it hear now. */
  lostLocal(last: Cluster | null): void {
    if (this.route?.kind !== 'local') return;
    if (last) this.lastCluster = last;
    this.releaseWaiting();
    this.resolve();
  }

  /** The owner let go of the session (lost, handed over): commands waiting on it hear now; find the owner again. */
  moved(): void {
    if (this.route?.kind === 'local') return;
    this.releaseWaiting();
    this.resolve();
  }

  private releaseWaiting(): void {
    for (const link of this.byConn.values()) link.releaseWaiting?.();
  }

  /** The owner asks for every device connected here to join again. */
  rejoin(): void {
    const route = this.route;
    if (route?.kind !== 'remote') return;
    for (const { join, at } of this.joins.values()) this.host.outbox.post(route.node, { t: 'ev', u: this.userId, n: ++this.n, ev: this.rejoinOf(join), at });
  }

  /** The session now runs here or there: first what waited, in order, then the joins of connections that did not rejoin in it. */
  attach(route: Route): void {
    const queued = this.queue.sort((a, b) => a.n - b.n);
    this.queue = [];
    const joinedAgain = new Set(queued.flatMap((i) => (i.ev?.type === 'device.join' ? [i.ev.connId] : [])));
    // After finding the owner again (not when replaying into the same session), every device here joins it again.
    const rejoins = this.route === null ? [...this.joins.values()].filter(({ join }) => !joinedAgain.has(join.connId)) : [];
    this.route = route;
    if (route.kind === 'local') {
      const session = route.session;
      const seqs = new Map<number, number>();
      for (const item of queued) {
        if (item.tr) seqs.set(item.n, session.traceRelayed(item.tr));
        if (item.ev?.type === 'device.join') this.joinLocal(session, item.ev, item.at ?? this.host.clock.now(), resolveCause(item.cause, seqs));
        else if (item.ev) session.send(item.ev, resolveCause(item.cause, seqs));
      }
      for (const { join, at } of rejoins) this.joinLocal(session, this.rejoinOf(join), at, {});
    } else {
      for (const item of queued) this.host.outbox.post(route.node, item);
      for (const { join, at } of rejoins) this.host.outbox.post(route.node, { t: 'ev', u: this.userId, n: ++this.n, ev: this.rejoinOf(join), at });
    }
    const waited = this.waiters.length > 0;
    for (const w of this.waiters.splice(0)) w.resolve();
    // Made only to send events back (a bounce): nothing here any more.
    if (!waited && this.links.size === 0 && this.joins.size === 0) this.host.idle(this);
  }

  /** A connection here joins the session that runs here, unless the device has joined since on another one. */
  private joinLocal(session: Session, join: Join, at: number, cause: Cause): void {
    const link = this.byConn.get(join.connId);
    if (!this.host.claimJoin(this.userId, join.device.id, join.connId, at)) {
      return link?.close(CloseCode.REPLACED, 'the device connected again on another socket');
    }
    if (link) attachDevice(session, link, join, cause);
    else session.send(join, cause);
  }

  private push(item: EventItem): void {
    const route = this.route;
    if (route?.kind === 'remote') this.host.outbox.post(route.node, item);
    else this.queue.push(item);
  }

  private resolve(): void {
    this.route = null;
    if (this.resolving) return;
    this.resolving = true;
    const attempt = (): void => {
      this.host.route(this.userId).then(
        (route) => {
          this.resolving = false;
          this.attach(route);
        },
        (err: unknown) => {
          for (const w of this.waiters.splice(0)) w.reject(err);
          if (this.links.size > 0 || this.queue.length > 0) {
            this.host.log.warn({ err, userId: this.userId }, 'mesh: no owner found for the session yet; trying again');
            this.host.clock.setTimeout(attempt, 1000);
          } else {
            this.resolving = false;
            this.host.idle(this);
          }
        },
      );
    };
    attempt();
  }

  /** A join sent again for a connection that stayed open: what the device plays is what this node last saw pushed to it. */
  private rejoinOf(join: Join): Join {
    const c = this.lastCluster;
    if (!c) return { ...join, resume: undefined };
    const deviceId = join.device.id;
    const playing = soundsOn(c, deviceId) && c.playback.position.rate > 0 && c.playback.track !== null;
    return { ...join, resume: { revision: c.revision, playing, playback: c.playback } };
  }
}

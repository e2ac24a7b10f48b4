import type { Cluster, Command, CommandResult } from '@handoff/protocol';
import { everyOn, sleepOn, systemClock, type Clock } from '../clock.ts';
import { HubError } from '../errors.ts';
import type { Log } from '../log.ts';
import { toCluster } from '../session/context.ts';
import type { Session } from '../session/session.ts';
import { Calls } from './calls.ts';
import { IncomingEvents } from './incoming-events.ts';
import type { Held } from './ownership.ts';
import { DEFAULT_PARTITIONS, Partitions } from './partitions.ts';
import { Liveness } from './liveness.ts';
import type { MeshHost, MeshOptions } from './mesh-options.ts';
import { Outbox } from './outbox.ts';
import type { Placement, TraceWatch } from './placement.ts';
import { RemoteDevices } from './remote-devices.ts';
import { RoutedSession, type Route, type RouteHost } from './routed-session.ts';
import { settleWithin, withTimeout } from '../with-timeout.ts';
import { commandDeadlineMs, READ_DEADLINE_MS, unreachable } from './deadlines.ts';
import { MeshInbox } from './mesh-inbox.ts';
import { commandAcross, type CommandHost } from './mesh-command.ts';
import { inbox, type EventItem, type Item } from './wire.ts';

export type { MeshHost, MeshOptions } from './mesh-options.ts';

/** How long a draining node waits for a session's transfer in flight to resolve before handing it over. */
const HANDOVER_WAIT_MS = 3000;
/** How long draining and closing may wait on Redis (unreachable: the leases lapse on their own instead). */
const SHUTDOWN_WAIT_MS = 10_000;

/**
 * This node among many, on a Bus and the shared Ownership record. Users hash into partitions;
 * each user's session runs on the node that holds the user's partition, the partition's owner by
 * rendezvous over the live members (partitions.ts: every node computes it, no Redis round trip).
 * A session opens there on first use (a device connected, a command, events that reached it),
 * restored with a claim under the partition's fencing token, so an owner that lost the partition
 * cannot overwrite what the next one restored; it finds out on its next write or tick and lets go.
 * A partition that is no longer this node's (a node joined) or all of them (draining) are handed
 * over session by session, then released; a dead node's lapse after the TTL.
 *
 * Device connections talk to a RoutedSession: straight to the session when it runs here, else
 * through the owner's inbox. The owner reaches them through RemoteLinks (this node's inbox on
 * their side). Every item between two nodes goes through the Outbox, one publish per node per turn.
 */
export class Mesh implements Placement, RouteHost {
  readonly outbox: Outbox;
  readonly log: Log;
  private readonly nodeId: string;
  /** Users whose session runs here, with the partition lease that lets it. */
  private readonly owned = new Map<string, Held>();
  readonly partitions: Partitions;
  private readonly resolving = new Map<string, Promise<Route>>();
  /** Users with device connections here. */
  private readonly routed = new Map<string, RoutedSession>();
  private readonly conns = new Map<string, RoutedSession>();
  /** Owner side: devices on other nodes linked to sessions here. */
  private readonly remote: RemoteDevices;
  private readonly incoming: IncomingEvents;
  private readonly calls: Calls;
  private readonly liveness: Liveness;
  private readonly timers: Array<() => void> = [];
  readonly clock: Clock;
  private readonly inbox: MeshInbox;
  private readonly commandHost: CommandHost;
  private draining = false;
  private stopped = false;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    private readonly hub: MeshHost,
    private readonly opts: MeshOptions,
  ) {
    this.nodeId = opts.nodeId;
    this.log = opts.log;
    this.outbox = new Outbox(opts.nodeId, opts.bus, opts.log, (node, items) => this.undelivered(node, items));
    this.remote = new RemoteDevices(this.outbox, () => this.clock.now());
    this.incoming = new IncomingEvents(this.outbox, {
      sessionOf: (userId) => this.ownedSession(userId),
      route: (userId) => this.route(userId),
      apply: (session, from, items) => this.remote.apply(session, from, items, this.hub.settings.session.maxDevices),
    });
    const clock = (this.clock = opts.clock ?? systemClock);
    this.calls = new Calls(opts.nodeId, this.outbox, (node) => this.liveness.isGone(node), clock);
    this.liveness = new Liveness(opts, () => clock.now(), this.outbox, this.calls, {
      routed: this.routed,
      remote: this.remote,
      sessionOf: (userId) => this.ownedSession(userId),
      resend: (node, items) => this.undelivered(node, items),
    });
    this.inbox = new MeshInbox({
      log: this.log,
      outbox: this.outbox,
      heard: (envelope) => {
        this.outbox.received(envelope);
        this.liveness.heardFrom(envelope.from);
      },
      events: (from, items) => this.incoming.arrived(from, items),
      answered: (id, answer) => this.calls.answered(id, answer),
      conn: (connId) => this.conns.get(connId),
      routed: (userId) => this.routed.get(userId),
      routedFor: (userId) => this.routedFor(userId),
      command: (userId, command, origin) => this.command(userId, command, origin, true),
      ownedSession: (userId) => this.ownedSession(userId),
    });
    this.commandHost = {
      clock,
      calls: this.calls,
      route: (userId) => this.route(userId),
      isGone: (node) => this.liveness.isGone(node),
      commandOn: (session, command, origin, ms) => this.hub.commandOn(session, command, origin, ms),
      crossed: () => this.hub.metrics.commandCrossedNodes('http'),
    };
    this.partitions = new Partitions({
      node: opts.nodeId,
      count: opts.partitions ?? DEFAULT_PARTITIONS,
      ttlMs: opts.leaseTtlMs,
      ownership: opts.ownership,
      clock,
      log: opts.log,
      host: { handOver: (p) => this.handOverPartition(p), lost: (p) => this.losePartition(p) },
      changed: (change, count) => this.hub.metrics.partitionsChanged(change, count),
    });
  }

  /** Listen on this node's inbox, join the membership and start ticking, and watch other nodes. */
  async start(): Promise<void> {
    this.unsubscribe = await this.opts.bus.subscribe(inbox(this.nodeId), (text) => this.inbox.receive(text));
    await this.partitions.start();
    this.timers.push(everyOn(this.clock, this.opts.livenessMs ?? 500, () => this.liveness.check()));
  }

  /** How many sessions run here. */
  get ownedCount(): number {
    return this.owned.size;
  }

  // ---- Placement: what the Hub asks ----

  async portFor(userId: string): Promise<RoutedSession> {
    const routed = this.routedFor(userId);
    await routed.ready();
    return routed;
  }

  /** Run a command wherever the session runs, within its deadline, trying again at the owner found again (mesh-command.ts). */
  command(userId: string, command: Command, origin: string, forwarded = false): Promise<CommandResult> {
    return commandAcross(this.commandHost, userId, command, origin, commandDeadlineMs(command, this.hub.settings), forwarded);
  }

  async cluster(userId: string): Promise<Cluster> {
    const read = async (): Promise<Cluster> => {
      for (;;) {
        // Taking the session failing (a refused claim, the partition lost on the way) is tried again: the deadline ends it.
        const route = await this.route(userId).catch(() => null);
        if (route?.kind === 'local') return toCluster(route.session.context);
        if (!route) {
          await this.sleep(100);
          continue;
        }
        const answer = await this.calls.call(route.node, { t: 'read', u: userId, id: '' }, READ_DEADLINE_MS);
        if (answer !== null && answer !== 'undelivered' && answer.t === 'cluster' && answer.cluster) return answer.cluster;
        await this.sleep(100);
      }
    };
    return withTimeout(read(), READ_DEADLINE_MS, () => new HubError({ code: 'UNAVAILABLE', message: unreachable(userId, READ_DEADLINE_MS) }), this.clock);
  }

  async peekCluster(userId: string): Promise<Cluster | null> {
    const own = this.ownedSession(userId);
    if (own) return toCluster(own.context);
    const holder = this.partitions.ownerOf(userId);
    if (!holder || holder === this.nodeId) return null;
    const answer = await this.calls.call(holder, { t: 'read', u: userId, id: '' }, READ_DEADLINE_MS);
    return answer !== null && answer !== 'undelivered' && answer.t === 'cluster' ? answer.cluster : null;
  }

  knownCluster(userId: string): Cluster | null {
    return this.routed.get(userId)?.lastCluster ?? null;
  }

  sessionClosed(userId: string, session: Session): void {
    if (!this.owned.delete(userId)) return;
    const last = toCluster(session.context);
    void (async () => {
      await session.settled();
      await this.opts.traces?.release(userId);
    })().catch((err: unknown) => this.log.warn({ err, userId }, 'mesh: could not flush an idle session'));
    this.letGo(userId, last);
  }

  watchTrace(userId: string): TraceWatch {
    return this.opts.traces?.watch(userId, this.hub.trace, this.owned.has(userId)) ?? { ready: Promise.resolve(), stop: () => {} };
  }

  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.log.info({ sessions: this.owned.size, partitions: this.partitions.heldCount }, 'mesh: draining, handing sessions over');
    await settleWithin(SHUTDOWN_WAIT_MS, this.partitions.leave());
    await settleWithin(2000, this.outbox.drained());
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.partitions.stop();
    for (const stop of this.timers) stop();
    await settleWithin(2000, this.outbox.drained());
    this.calls.abandonAll();
    await settleWithin(1000, this.unsubscribe?.() ?? Promise.resolve());
    await settleWithin(2000, this.opts.traces?.close() ?? Promise.resolve());
    await settleWithin(2000, this.opts.bus.close());
  }

  // ---- RouteHost: what RoutedSessions ask ----

  route(userId: string): Promise<Route> {
    const session = this.ownedSession(userId);
    if (session) return Promise.resolve({ kind: 'local', session });
    let pending = this.resolving.get(userId);
    if (!pending) {
      pending = this.resolve(userId).finally(() => this.resolving.delete(userId));
      this.resolving.set(userId, pending);
    }
    return pending;
  }

  commandCrossed(): void {
    this.hub.metrics.commandCrossedNodes('device');
  }

  indexConn(connId: string, routed: RoutedSession | null): void {
    if (routed) this.conns.set(connId, routed);
    else this.conns.delete(connId);
  }

  claimJoin(userId: string, deviceId: string, connId: string, at: number): boolean {
    return this.remote.claim(userId, deviceId, connId, at);
  }

  idle(routed: RoutedSession): void {
    if (this.routed.get(routed.userId) === routed && routed.connections === 0) this.routed.delete(routed.userId);
  }

  private sleep(ms: number): Promise<void> {
    return sleepOn(this.clock, ms);
  }

  // ---- ownership ----

  private ownedSession(userId: string): Session | undefined {
    return (this.owned.has(userId) && this.hub.openSession(userId)) || undefined;
  }

  /**
   * The session runs here when this node holds the user's partition (opened on first use); else
   * on the partition's owner by rendezvous. This node being that owner but not holding it yet (the
   * previous owner is handing it over, or its lease has not lapsed): wait until it does.
   */
  private async resolve(userId: string): Promise<Route> {
    const giveUpAt = this.clock.now() + this.opts.leaseTtlMs + 5000;
    const partition = this.partitions.partitionOf(userId);
    for (;;) {
      if (this.stopped) throw new HubError({ code: 'UNAVAILABLE', message: 'hub shutting down' });
      const token = this.draining ? undefined : this.partitions.tokenOf(partition);
      if (token !== undefined) return this.take(userId, { partition, token }, giveUpAt);
      const owner = this.partitions.ownerOf(userId);
      const left = giveUpAt - this.clock.now();
      if (left <= 0) throw new HubError({ code: 'UNAVAILABLE', message: `no node could take the session of ${userId}` });
      if (owner === this.nodeId && !this.draining) {
        await this.partitions.whenHeld(partition, left);
        continue;
      }
      if (owner && owner !== this.nodeId && (await this.liveness.answers(owner))) return { kind: 'remote', node: owner };
      await this.sleep(100 + Math.random() * 100);
    }
  }

  private async take(userId: string, lease: Held, giveUpAt: number): Promise<Route> {
    this.owned.set(userId, lease);
    try {
      // Every Redis wait on the way has the same deadline: a stalled Redis fails the lookup, it does not hang it.
      const bounded = <T>(work: Promise<T>) => withTimeout(work, giveUpAt - this.clock.now(), () => new HubError({ code: 'UNAVAILABLE', message: `Redis did not answer for the session of ${userId}` }), this.clock);
      if (this.opts.traces) this.hub.trace.continueAfter(userId, await bounded(this.opts.traces.adopt(userId)));
      const session = await bounded(
        this.hub.takeSession(userId, {
          token: lease.token,
          node: this.nodeId,
          lost: (err: unknown) => {
            if (this.owned.get(userId) === lease) this.lose(userId, err);
          },
        }),
      );
      if (this.owned.get(userId) !== lease) throw new HubError({ code: 'INTERNAL', message: 'partition lost while opening the session' });
      this.log.info({ userId, partition: lease.partition, token: lease.token, revision: session.context.revision }, 'mesh: session taken');
      // Connections here that were routed elsewhere come home.
      const routed = this.routed.get(userId);
      if (routed?.current?.kind === 'remote') routed.reroute();
      return { kind: 'local', session };
    } catch (err) {
      if (this.owned.get(userId) === lease) {
        this.owned.delete(userId);
        this.hub.dropSession(userId);
        void this.opts.traces?.release(userId);
      }
      throw err;
    }
  }

  /** Every session here of the partition, handed over (it is another node's now). */
  private async handOverPartition(partition: number): Promise<void> {
    const users = [...this.owned].filter(([, held]) => held.partition === partition).map(([userId]) => userId);
    await settleWithin(SHUTDOWN_WAIT_MS, Promise.allSettled(users.map((userId) => this.handOver(userId))), this.clock);
  }

  /** The partition's lease is another node's: every session of it here stops without writing. */
  private losePartition(partition: number): void {
    for (const [userId, held] of [...this.owned]) if (held.partition === partition) this.lose(userId, new Error('partition lease taken by another node'));
  }

  /** The partition is gone (another node has it): stop the session here without writing, and find the owner. */
  private lose(userId: string, why: unknown): void {
    this.owned.delete(userId);
    const session = this.hub.openSession(userId);
    const last = session ? toCluster(session.context) : null;
    this.hub.dropSession(userId);
    void this.opts.traces?.release(userId);
    this.log.warn({ userId, why: String((why as Error)?.message ?? why) }, 'mesh: lost the session to another node');
    this.letGo(userId, last);
  }

  /** Hand over: store what is pending, stop the session, and tell its devices' nodes to find the new owner. */
  private async handOver(userId: string): Promise<void> {
    const lease = this.owned.get(userId);
    const session = this.hub.openSession(userId);
    if (!lease) return;
    if (session) {
      // A transfer in flight resolves here first (bounded), so its switch is not cut in two.
      const until = this.clock.now() + HANDOVER_WAIT_MS;
      while (session.state !== 'idle' && this.clock.now() < until) await this.sleep(20);
      let written;
      do {
        written = session.settled();
        await written;
      } while (written !== session.settled());
    }
    if (this.owned.get(userId) !== lease) return;
    this.owned.delete(userId);
    const last = session ? toCluster(session.context) : null;
    this.hub.dropSession(userId);
    this.routed.get(userId)?.lostLocal(last);
    await this.opts.traces?.release(userId);
    this.letGo(userId, last);
  }

  /** The session no longer runs here: its remote devices' nodes find the new owner, and so do connections here. */
  private letGo(userId: string, last: Cluster | null): void {
    for (const node of this.remote.forget(userId)) this.outbox.post(node, { t: 'moved', u: userId });
    this.routed.get(userId)?.lostLocal(last);
  }

  private routedFor(userId: string): RoutedSession {
    let routed = this.routed.get(userId);
    if (!routed) this.routed.set(userId, (routed = new RoutedSession(userId, this)));
    return routed;
  }

  // ---- other nodes' life ----

  /** Items `node` never got (the publish failed, or the node is gone): events go to the owner found again, calls fail now. */
  private undelivered(_node: string, items: Item[]): void {
    if (this.stopped) return;
    const byUser = new Map<string, EventItem[]>();
    for (const item of items) {
      if (item.t === 'ev') {
        let list = byUser.get(item.u);
        if (!list) byUser.set(item.u, (list = []));
        list.push(item);
      } else if (item.t === 'cmd' || item.t === 'read' || item.t === 'ping') {
        this.calls.answered(item.id, 'undelivered');
      }
    }
    for (const [userId, list] of byUser) this.routedFor(userId).retry(list);
  }
}

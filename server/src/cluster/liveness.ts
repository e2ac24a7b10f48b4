import type { Session } from '../session/session.ts';
import type { Calls } from './calls.ts';
import type { MeshOptions } from './mesh-options.ts';
import type { Outbox } from './outbox.ts';
import type { RemoteDevices } from './remote-devices.ts';
import type { RoutedSession } from './routed-session.ts';
import type { EventItem } from './wire.ts';

/** What Liveness needs of the node it runs on (the Mesh). */
export interface LivenessHost {
  /** Users with device connections here. */
  readonly routed: ReadonlyMap<string, RoutedSession>;
  /** Owner side: devices on other nodes linked to sessions here. */
  readonly remote: RemoteDevices;
  /** The user's session, if it runs here. */
  sessionOf(userId: string): Session | undefined;
  /** Events sent to a node found gone, that it may never have read: send them to the new owner. */
  resend(node: string, items: EventItem[]): void;
}

/**
 * Other nodes' life, as this node sees it, from their answers alone (never from how many
 * receivers a publish counted: on a Redis Cluster that number covers one shard). Every node this
 * one depends on (owners it routes to, nodes with devices linked to sessions here, nodes holding
 * events not yet acknowledged) is pinged when quiet; one silent for `nodeGoneAfterMs` is gone:
 * connections here look past it, its devices linked here leave their sessions (their grace
 * period starts), the events it did not acknowledge go to the new owner, and calls waiting on it
 * fail at once, as do new calls to it, until it is heard from again.
 */
export class Liveness {
  /** When anything last came from each node. */
  private readonly heard = new Map<string, number>();
  /** Nodes pinged and not heard from since (when the first unanswered ping left). */
  private readonly silentSince = new Map<string, number>();
  /** Nodes found gone (and not heard from since). */
  private readonly gone = new Set<string>();

  constructor(
    private readonly opts: Pick<MeshOptions, 'livenessMs' | 'nodeGoneAfterMs'>,
    private readonly now: () => number,
    private readonly outbox: Outbox,
    private readonly calls: Calls,
    private readonly host: LivenessHost,
  ) {}

  /** Something came from `node`: it is alive. */
  heardFrom(node: string): void {
    this.heard.set(node, this.now());
    this.silentSince.delete(node);
    this.gone.delete(node);
  }

  /** Whether `node` was found gone (and not heard from since). */
  isGone(node: string): boolean {
    return this.gone.has(node);
  }

  /** Whether the node answers a ping soon (alive, not frozen; a node found gone may be back). */
  async answers(node: string): Promise<boolean> {
    if (this.now() - (this.heard.get(node) ?? 0) < this.every) return true;
    const answer = await this.calls.call(node, { t: 'ping', id: '' }, 400, true);
    return answer !== null && answer !== 'undelivered';
  }

  /** Ping every node this one depends on that was quiet; declare gone those silent too long. */
  check(): void {
    const now = this.now();
    const peers = new Set<string>(this.outbox.unackedNodes());
    for (const routed of this.host.routed.values()) if (routed.current?.kind === 'remote') peers.add(routed.current.node);
    for (const node of this.host.remote.nodes()) peers.add(node);
    for (const node of peers) {
      if (this.gone.has(node) || now - (this.heard.get(node) ?? 0) < this.every) continue;
      this.outbox.post(node, { t: 'ping', id: '' });
      const since = this.silentSince.get(node) ?? now;
      this.silentSince.set(node, since);
      if (now - since >= (this.opts.nodeGoneAfterMs ?? 1500)) this.declareGone(node);
    }
  }

  private get every(): number {
    return this.opts.livenessMs ?? 500;
  }

  private declareGone(node: string): void {
    this.gone.add(node);
    this.silentSince.delete(node);
    this.calls.nodeGone(node);
    for (const routed of this.host.routed.values()) if (routed.current?.kind === 'remote' && routed.current.node === node) routed.reroute();
    this.host.remote.nodeGone(node, (userId) => this.host.sessionOf(userId));
    const unread = this.outbox.takeUnacked(node);
    if (unread.length) this.host.resend(node, unread);
  }
}

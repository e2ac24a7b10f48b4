import type { Session } from '../session/session.ts';
import type { Calls } from './calls.ts';
import type { MeshOptions } from './mesh-options.ts';
import type { Outbox } from './outbox.ts';
import type { RemoteDevices } from './remote-devices.ts';
import type { RoutedSession } from './routed-session.ts';

/**
 * Other nodes' life, as this node sees it: when each was last heard from, which owners went
 * silent (pinged, no answer) and which nodes nobody listens to any more. Connections here look
 * past a silent or absent owner; an absent node's devices linked to sessions here are taken as
 * gone.
 */
export class Liveness {
  /** When anything last came from each node. */
  private readonly heard = new Map<string, number>();
  /** Nodes pinged and not heard from since (when the first unanswered ping left). */
  private readonly silentSince = new Map<string, number>();
  /** Nodes whose inbox nobody listens to (since when). */
  private readonly absentSince = new Map<string, number>();

  constructor(
    private readonly opts: Pick<MeshOptions, 'livenessMs' | 'nodeGoneAfterMs'>,
    private readonly outbox: Outbox,
    private readonly calls: Calls,
    /** Users with device connections here. */
    private readonly routed: ReadonlyMap<string, RoutedSession>,
    /** Owner side: devices on other nodes linked to sessions here. */
    private readonly remote: RemoteDevices,
    /** The user's session, if it runs here. */
    private readonly sessionOf: (userId: string) => Session | undefined,
  ) {}

  /** Something came from `node`: it is alive. */
  heardFrom(node: string): void {
    this.heard.set(node, Date.now());
    this.silentSince.delete(node);
    this.absentSince.delete(node);
  }

  /** Whether the node answers a ping soon (alive, not frozen). */
  async answers(node: string): Promise<boolean> {
    if (Date.now() - (this.heard.get(node) ?? 0) < (this.opts.livenessMs ?? 500)) return true;
    const answer = await this.calls.call(node, { t: 'ping', id: '' }, 400);
    return answer !== null && answer !== 'undelivered';
  }

  /**
   * Owners this node routes to are pinged when quiet; one silent past `nodeGoneAfterMs` is looked
   * past. Nodes with devices linked to sessions here are checked for a listener on their inbox.
   */
  check(): void {
    const now = Date.now();
    const every = this.opts.livenessMs ?? 500;
    const owners = new Set<string>();
    for (const routed of this.routed.values()) if (routed.current?.kind === 'remote') owners.add(routed.current.node);
    for (const node of owners) {
      if (now - (this.heard.get(node) ?? 0) < every) continue;
      this.outbox.post(node, { t: 'ping', id: '' });
      const since = this.silentSince.get(node) ?? now;
      this.silentSince.set(node, since);
      if (now - since > (this.opts.nodeGoneAfterMs ?? 1500)) this.lookPast(node);
    }
    for (const node of this.remote.nodes()) {
      if (now - (this.heard.get(node) ?? 0) < every) continue;
      this.outbox.reaches(node).then(
        (listening) => (listening ? this.absentSince.delete(node) : this.absent(node)),
        () => {},
      );
    }
  }

  /**
   * Nobody listens on the node's inbox: it died (or lost Redis). Connections here routed to it
   * look past it at once; its devices linked to sessions here are taken as gone once it stayed
   * absent for `nodeGoneAfterMs` (they start their grace period, and reconnect elsewhere).
   */
  absent(node: string): void {
    this.lookPast(node);
    const now = Date.now();
    const since = this.absentSince.get(node) ?? now;
    this.absentSince.set(node, since);
    if (now - since < (this.opts.nodeGoneAfterMs ?? 1500)) return;
    this.remote.nodeGone(node, this.sessionOf);
  }

  /** Connections here routed to `node` find the owner again (harmless if it was a blip: they find it again). */
  private lookPast(node: string): void {
    this.silentSince.delete(node);
    for (const routed of this.routed.values()) if (routed.current?.kind === 'remote' && routed.current.node === node) routed.reroute();
  }
}

import type { Session } from '../session/session.ts';
import type { Outbox } from './outbox.ts';
import type { Route } from './routed-session.ts';
import type { EventItem } from './wire.ts';

/**
 * Owner side: events from devices on other nodes, as they arrive. A user's events wait in order
 * while the user's owner is found; if that is not this node, they go back to their node (a
 * bounce), which sends them to the owner.
 */
export class IncomingEvents {
  /** Owner side: events for a user whose owner is being found, in arrival order. */
  private readonly waiting = new Map<string, Array<{ from: string; items: EventItem[] }>>();

  constructor(
    private readonly outbox: Outbox,
    private readonly host: IncomingHost,
  ) {}

  /** Events from another node's devices: applied if the session runs here, else it is found (or taken) first. */
  arrived(from: string, items: EventItem[]): void {
    const userId = items[0]!.u;
    const waiting = this.waiting.get(userId);
    if (waiting) return void waiting.push({ from, items });
    const session = this.host.sessionOf(userId);
    if (session) return this.host.apply(session, from, items);
    const queue = [{ from, items }];
    this.waiting.set(userId, queue);
    const settle = (route: Route | null) => {
      this.waiting.delete(userId);
      for (const w of queue) {
        if (route?.kind === 'local' && this.host.sessionOf(userId) === route.session) this.host.apply(route.session, w.from, w.items);
        else this.outbox.post(w.from, { t: 'bounce', u: userId, items: w.items });
      }
    };
    this.host.route(userId).then(settle, () => settle(null));
  }
}

/** What incoming events need of the node they arrive on (the Mesh). */
export interface IncomingHost {
  /** The user's session, if it runs here. */
  sessionOf(userId: string): Session | undefined;
  /** Where the user's session runs: here (taking it if free), or on which node. */
  route(userId: string): Promise<Route>;
  /** Apply events from the devices of node `from` to the session here. */
  apply(session: Session, from: string, items: EventItem[]): void;
}

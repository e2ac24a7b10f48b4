import type { Command, CommandResult } from '@handoff/protocol';
import type { Log } from '../log.ts';
import { toCluster } from '../session/context.ts';
import type { Session } from '../session/session.ts';
import type { Answer } from './calls.ts';
import type { Outbox } from './outbox.ts';
import type { RoutedSession } from './routed-session.ts';
import { WIRE_VERSION, type Envelope, type EventItem, type Item } from './wire.ts';
import { readEnvelope } from './wire-schema.ts';

/** What the inbox hands items to (the Mesh and its parts). */
export interface InboxHost {
  readonly log: Log;
  readonly outbox: Outbox;
  /** An envelope from `from` arrived (acks, liveness). */
  heard(envelope: Envelope): void;
  /** Device events of one user from `from`, in order. */
  events(from: string, items: EventItem[]): void;
  /** An answer to a call of this node. */
  answered(id: string, answer: Answer): void;
  /** The routed session a local connection belongs to. */
  conn(connId: string): RoutedSession | undefined;
  routed(userId: string): RoutedSession | undefined;
  routedFor(userId: string): RoutedSession;
  /** Run a command another node sent on (HTTP there). */
  command(userId: string, command: Command, origin: string): Promise<CommandResult>;
  /** The user's session, if it runs here. */
  ownedSession(userId: string): Session | undefined;
}

/**
 * This node's inbox: envelopes from the other nodes, checked against the wire version once here
 * (another release's are dropped, and said so once per sender and reason), and their items
 * handed on in order; a user's consecutive device events go on together.
 */
export class MeshInbox {
  /** Senders and reasons of envelopes already refused (logged once each). */
  private readonly refused = new Set<string>();

  constructor(private readonly host: InboxHost) {}

  receive(text: string): void {
    const read = readEnvelope(text, WIRE_VERSION);
    if (!('envelope' in read)) {
      // Once per sender and reason: a node of another release keeps sending until it is replaced.
      const key = `${read.from ?? '?'}:${read.error}`;
      if (!this.refused.has(key)) {
        this.refused.add(key);
        this.host.log.warn({ from: read.from, version: read.version, expected: WIRE_VERSION, why: read.error }, 'mesh: dropped a message from another node that this node cannot read');
      }
      return;
    }
    const { envelope } = read;
    const { from, items } = envelope;
    this.host.heard(envelope);
    let run: EventItem[] = [];
    const flush = () => {
      if (run.length) this.host.events(from, run);
      run = [];
    };
    for (const item of items) {
      if (item.t === 'ev') {
        if (run.length && run[0]!.u !== item.u) flush();
        run.push(item);
        continue;
      }
      flush();
      try {
        this.handle(from, item);
      } catch (err) {
        this.host.log.error({ err, item: item.t }, 'mesh: failed to handle an item');
      }
    }
    flush();
  }

  private handle(from: string, item: Exclude<Item, EventItem>): void {
    const host = this.host;
    switch (item.t) {
      case 'out':
        return host.conn(item.c)?.delivered(item.c, item.x, item.r);
      case 'close':
        return host.conn(item.c)?.closeConn(item.c, item.code, item.reason);
      case 'bounce':
        return host.routedFor(item.u).retry(item.items);
      case 'moved':
        return host.routed(item.u)?.moved();
      case 'rejoin':
        return host.routed(item.u)?.rejoin();
      case 'cmd':
        void host.command(item.u, item.command, item.origin).then((result) => host.outbox.post(from, { t: 'res', id: item.id, result }));
        return;
      case 'read': {
        // Only a session that runs here is read: a read never opens one (null sends the reader to look again).
        const session = host.ownedSession(item.u);
        return host.outbox.post(from, { t: 'cluster', id: item.id, cluster: session ? toCluster(session.context) : null });
      }
      case 'ping':
        return host.outbox.post(from, { t: 'pong', id: item.id });
      case 'res':
      case 'cluster':
      case 'pong':
        return host.answered(item.id, item);
    }
  }
}

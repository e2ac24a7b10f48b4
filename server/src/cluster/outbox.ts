import type { Bus } from '../bus/bus.ts';
import type { Log } from '../log.ts';
import { inbox, WIRE_VERSION, type Envelope, type EventItem, type Item } from './wire.ts';

/** At most this many unacknowledged events are kept for one node (older ones are given up). */
const MAX_UNACKED = 10_000;

/**
 * Items to other nodes, batched: everything posted to one node in the same turn of the event
 * loop goes out as one publish on its inbox, in order.
 *
 * A publish says nothing about delivery (see bus.ts), so envelopes are numbered per destination
 * and every envelope back carries the number of the last one received from its destination
 * (`ack`, with the sender's incarnation so a restarted node is not acknowledged for what its
 * previous life sent). Events stay here until acknowledged: if their node is found gone
 * (liveness.ts), `takeUnacked` hands them back to be sent to whoever owns the session now.
 * A publish that fails hands its items back through `undelivered` at once.
 */
export class Outbox {
  private readonly pending = new Map<string, Item[]>();
  private scheduled = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** This process's incarnation: acks name it, so they never cover a previous life's envelopes. */
  private readonly inc = Math.random().toString(36).slice(2, 10);
  private readonly sentSeq = new Map<string, number>();
  /** Per node: events sent and not yet acknowledged, with the envelope that carried them. */
  private readonly unacked = new Map<string, Array<{ seq: number; item: EventItem }>>();
  /** Per node: the last envelope received from it (its incarnation and number). */
  private readonly receivedFrom = new Map<string, { inc: string; seq: number }>();

  constructor(
    private readonly from: string,
    private readonly bus: Bus,
    private readonly log: Log,
    private readonly undelivered: (node: string, items: Item[]) => void,
  ) {}

  post(node: string, item: Item): void {
    let items = this.pending.get(node);
    if (!items) this.pending.set(node, (items = []));
    items.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** An envelope arrived: remember its number (to acknowledge it), and drop what it acknowledges. */
  received(envelope: Envelope): void {
    this.receivedFrom.set(envelope.from, { inc: envelope.inc, seq: envelope.seq });
    const ack = envelope.ack;
    if (!ack || ack.inc !== this.inc) return;
    const list = this.unacked.get(envelope.from);
    if (!list) return;
    let i = 0;
    while (i < list.length && list[i]!.seq <= ack.seq) i++;
    if (i === list.length) this.unacked.delete(envelope.from);
    else list.splice(0, i);
  }

  /** Nodes with events not yet acknowledged (liveness checks on them). */
  unackedNodes(): string[] {
    return [...this.unacked.keys()];
  }

  /** `node` is gone: the events it may never have read, in the order they were sent. */
  takeUnacked(node: string): EventItem[] {
    const list = this.unacked.get(node) ?? [];
    this.unacked.delete(node);
    return list.map((u) => u.item);
  }

  /** Resolves once everything posted so far has been published. */
  async drained(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    this.scheduled = false;
    for (const [node, items] of this.pending) {
      const seq = (this.sentSeq.get(node) ?? 0) + 1;
      this.sentSeq.set(node, seq);
      this.retain(node, seq, items);
      const ack = this.receivedFrom.get(node);
      const envelope: Envelope = { v: WIRE_VERSION, from: this.from, inc: this.inc, seq, ...(ack ? { ack } : {}), items };
      const sent = this.bus.publish(inbox(node), JSON.stringify(envelope)).catch((err: unknown) => {
        this.log.warn({ err, node }, 'mesh: publish failed');
        this.forget(node, seq);
        this.undelivered(node, items);
      });
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    }
    this.pending.clear();
  }

  private retain(node: string, seq: number, items: Item[]): void {
    let list = this.unacked.get(node);
    for (const item of items) {
      if (item.t !== 'ev') continue;
      if (!list) this.unacked.set(node, (list = []));
      list.push({ seq, item });
    }
    if (list && list.length > MAX_UNACKED) list.splice(0, list.length - MAX_UNACKED);
  }

  /** A failed publish's events are handed back by `undelivered`: not kept here too. */
  private forget(node: string, seq: number): void {
    const list = this.unacked.get(node);
    if (!list) return;
    const kept = list.filter((u) => u.seq !== seq);
    if (kept.length) this.unacked.set(node, kept);
    else this.unacked.delete(node);
  }
}

import type { Bus } from '../bus/bus.ts';
import type { Log } from '../log.ts';
import { inbox, type Envelope, type Item } from './wire.ts';

/**
 * Items to other nodes, batched: everything posted to one node in the same turn of the event
 * loop goes out as one publish on its inbox, in order. A publish that reaches no one (the node is
 * gone) hands its items back through `undelivered`.
 */
export class Outbox {
  private readonly pending = new Map<string, Item[]>();
  private scheduled = false;
  private inFlight = new Set<Promise<unknown>>();

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

  /** Whether anyone is subscribed to the node's inbox (an empty envelope). */
  async reaches(node: string): Promise<boolean> {
    return (await this.bus.publish(inbox(node), JSON.stringify({ from: this.from, items: [] } satisfies Envelope))) > 0;
  }

  /** Resolves once everything posted so far has been published. */
  async drained(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    this.scheduled = false;
    for (const [node, items] of this.pending) {
      const sent = this.bus.publish(inbox(node), JSON.stringify({ from: this.from, items } satisfies Envelope)).then(
        (receivers) => {
          if (receivers === 0) this.undelivered(node, items);
        },
        (err: unknown) => {
          this.log.warn({ err, node }, 'mesh: publish failed');
          this.undelivered(node, items);
        },
      );
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    }
    this.pending.clear();
  }
}

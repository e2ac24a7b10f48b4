import type { Outbox } from './outbox.ts';
import type { Item } from './wire.ts';

/**
 * This node's calls to other nodes (a command, a read, a ping): each goes out with an id of its
 * own, and waits until the answer with that id comes back, its time is up, or its node is found
 * gone (liveness.ts). A call to a node already found gone fails at once.
 */
export class Calls {
  private readonly waiting = new Map<string, { node: string; item: Call['t']; done: (answer: Answer) => void }>();
  private count = 0;

  constructor(
    private readonly nodeId: string,
    private readonly outbox: Outbox,
    private readonly isGone: (node: string) => boolean,
    private readonly clock: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void },
  ) {}

  /**
   * Post `item` to `node` and wait for its answer; null if none came within `timeoutMs`,
   * 'undelivered' if the node is gone (`evenIfGone`: ask anyway, to learn whether it is back).
   */
  call(node: string, item: Call, timeoutMs: number, evenIfGone = false): Promise<Answer> {
    if (!evenIfGone && this.isGone(node)) return Promise.resolve('undelivered');
    const id = `${this.nodeId}:${++this.count}`;
    return new Promise<Answer>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, Math.max(1, timeoutMs));
      this.waiting.set(id, {
        node,
        item: item.t,
        done: (answer) => {
          this.clock.clearTimeout(timer);
          resolve(answer);
        },
      });
      this.outbox.post(node, { ...item, id });
    });
  }

  /** Call `id` got its answer (or its item reached nobody). */
  answered(id: string, answer: Answer): void {
    const call = this.waiting.get(id);
    this.waiting.delete(id);
    call?.done(answer);
  }

  /** `node` is gone: every call waiting on it is answered 'undelivered' now. */
  nodeGone(node: string): void {
    for (const [id, call] of [...this.waiting]) if (call.node === node && call.item !== 'ping') this.answered(id, 'undelivered');
  }

  /** Every call still waiting gets null: this node is closing. */
  abandonAll(): void {
    for (const id of [...this.waiting.keys()]) this.answered(id, null);
  }
}

/** An item that waits for an answer from the node it goes to. */
export type Call = Extract<Item, { t: 'cmd' } | { t: 'read' } | { t: 'ping' }>;
/** What a call gets: the answer, 'undelivered' (its node is gone, or the publish failed), or null (nothing in time). */
export type Answer = Extract<Item, { t: 'res' } | { t: 'cluster' } | { t: 'pong' }> | 'undelivered' | null;

import type { Outbox } from './outbox.ts';
import type { Item } from './wire.ts';

/**
 * This node's calls to other nodes (a command, a read, a ping): each goes out with an id of its
 * own, and waits until the answer with that id comes back or its time is up.
 */
export class Calls {
  private readonly waiting = new Map<string, (answer: Answer) => void>();
  private count = 0;

  constructor(
    private readonly nodeId: string,
    private readonly outbox: Outbox,
  ) {}

  /** Post `item` to `node` and wait for its answer; null if none came within `timeoutMs`. */
  call(node: string, item: Call, timeoutMs: number): Promise<Answer> {
    const id = `${this.nodeId}:${++this.count}`;
    return new Promise<Answer>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, Math.max(1, timeoutMs));
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.outbox.post(node, { ...item, id });
    });
  }

  /** Call `id` got its answer (or its item reached nobody). */
  answered(id: string, answer: Answer): void {
    const done = this.waiting.get(id);
    this.waiting.delete(id);
    done?.(answer);
  }

  /** Every call still waiting gets null: this node is closing. */
  abandonAll(): void {
    for (const done of this.waiting.values()) done(null);
  }
}

/** An item that waits for an answer from the node it goes to. */
export type Call = Extract<Item, { t: 'cmd' } | { t: 'read' } | { t: 'ping' }>;
/** What a call gets: the answer, 'undelivered' (nobody listens on that node's inbox), or null (nothing in time). */
export type Answer = Extract<Item, { t: 'res' } | { t: 'cluster' } | { t: 'pong' }> | 'undelivered' | null;

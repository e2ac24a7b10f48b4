import type { Bus, BusHandler } from './bus.ts';

/** The channels of one process: what several MemoryBus instances (several nodes) share. */
export class MemoryBroker {
  readonly channels = new Map<string, Set<MemoryBus>>();
}

/**
 * A Bus in this process's memory. Each instance is one node's connection to a shared broker;
 * delivery is asynchronous (a microtask later) like a network bus, and in publish order.
 */
export class MemoryBus implements Bus {
  private readonly handlers = new Map<string, Set<BusHandler>>();
  private closed = false;

  constructor(private readonly broker: MemoryBroker = new MemoryBroker()) {}

  publish(channel: string, message: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('bus is closed'));
    const buses = [...(this.broker.channels.get(channel) ?? [])];
    queueMicrotask(() => {
      for (const bus of buses) bus.deliver(channel, message);
    });
    return Promise.resolve();
  }

  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    if (this.closed) return Promise.reject(new Error('bus is closed'));
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      let buses = this.broker.channels.get(channel);
      if (!buses) this.broker.channels.set(channel, (buses = new Set()));
      buses.add(this);
    }
    const entry: BusHandler = (m) => handler(m);
    handlers.add(entry);
    return Promise.resolve(() => {
      this.remove(channel, entry);
      return Promise.resolve();
    });
  }

  close(): Promise<void> {
    this.closed = true;
    for (const channel of [...this.handlers.keys()]) this.drop(channel);
    return Promise.resolve();
  }

  private deliver(channel: string, message: string): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch {
        // A failing handler must not keep the message from the others.
      }
    }
  }

  private remove(channel: string, handler: BusHandler): void {
    const handlers = this.handlers.get(channel);
    if (!handlers?.delete(handler) || handlers.size > 0) return;
    this.drop(channel);
  }

  private drop(channel: string): void {
    this.handlers.delete(channel);
    const buses = this.broker.channels.get(channel);
    buses?.delete(this);
    if (buses?.size === 0) this.broker.channels.delete(channel);
  }
}

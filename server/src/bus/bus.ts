/** What a handler gets: one message published to a channel it subscribed to. */
export type BusHandler = (message: string) => void;

/**
 * Messages between hub nodes: publish to a channel, subscribe to channels. Delivery is at most
 * once and in order per publisher and channel; nothing is kept for a subscriber that is not
 * there. In memory for one process (tests of many nodes in one process); Redis pub/sub for many.
 */
export interface Bus {
  /** Publish; resolves with how many buses (nodes) are subscribed to the channel, 0 when none is. */
  publish(channel: string, message: string): Promise<number>;
  /** Resolves once the subscription is in place, with a function that ends it. */
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

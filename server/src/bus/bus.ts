/** What a handler gets: one message published to a channel it subscribed to. */
export type BusHandler = (message: string) => void;

/**
 * Messages between hub nodes: publish to a channel, subscribe to channels. Delivery is at most
 * once and in order per publisher and channel; nothing is kept for a subscriber that is not
 * there. In memory for one process (tests of many nodes in one process); Redis sharded pub/sub
 * for many (one Redis or a cluster).
 *
 * A publish says nothing about who received it: on a Redis Cluster the count of receivers
 * covers one shard's connections only, so no caller may read it as "nobody is there". Whether
 * a node is alive is for its answers to say (cluster/liveness.ts).
 */
export interface Bus {
  /** Resolves once the message is handed to the bus (not when, or whether, anyone got it). */
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is in place, with a function that ends it. */
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

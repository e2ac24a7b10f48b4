import type { Log } from '../log.ts';
import { closeRedis, type RedisClient } from '../store/redis-connect.ts';
import { settleWithin } from '../with-timeout.ts';
import type { Bus, BusHandler } from './bus.ts';

export interface RedisBusOptions {
  /** Publishes (and probes). Owned by the bus: closed with it. */
  publisher: RedisClient;
  /** Used for nothing but subscriptions (on a cluster: built with sharded subscribers). Owned by the bus: closed with it. */
  subscriber: RedisClient;
  log: Log;
  /** How often every subscribed channel is probed. @default 1000 */
  probeMs?: number;
  /** A probe not back within this long means the subscription went silent. @default 3000 */
  probeTimeoutMs?: number;
}

/** Probes travel on the channels themselves; handlers never see them. */
const PROBE = '\u0000probe:';

/**
 * Redis sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis 7) as a Bus: one connection publishes,
 * a dedicated one subscribes. A channel lives on its hash slot's master (a node's inbox is
 * tagged with the node's id), so on a Redis Cluster each message crosses one shard rather than
 * being broadcast to every node of the cluster, and the subscription moves with its slot when a
 * replica takes over. On one Redis the same commands work unchanged.
 *
 * A subscription can go silent with every connection looking healthy (after a failover the
 * subscriber may be connected to a node that knows nothing of it: centrifugo #1189). So the bus
 * publishes a probe to each of its channels every `probeMs` and expects it back; a probe not
 * back in `probeTimeoutMs` makes it reconnect the subscriber and subscribe again. How many
 * receivers a publish counted is never read: on a cluster it counts one shard's connections.
 */
export class RedisBus implements Bus {
  private readonly handlers = new Map<string, Set<BusHandler>>();
  /** Per channel: the probe out and when it left. */
  private readonly probes = new Map<string, { id: string; sentAt: number }>();
  private readonly nonce = Math.random().toString(36).slice(2, 10);
  private readonly timer: NodeJS.Timeout;
  private probeCount = 0;
  private recoveringUntil = 0;
  private closed = false;
  /** How many times a silent subscription was detected and renewed. */
  resubscribes = 0;

  constructor(private readonly opts: RedisBusOptions) {
    const { subscriber } = opts;
    subscriber.on('smessage', (channel: string, message: string) => this.deliver(channel, message));
    // After any reconnect, make sure every channel is subscribed (ioredis resubscribes what it
    // knows of; this also covers what it may have lost).
    subscriber.on('ready', () => {
      if (!this.closed) for (const channel of this.handlers.keys()) this.subscribeOn(channel);
    });
    this.timer = setInterval(() => this.probe(), opts.probeMs ?? 1000);
    this.timer.unref();
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.opts.publisher.spublish(channel, message);
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      // Sharded channels are subscribed one by one: each may live on another master.
      await this.opts.subscriber.ssubscribe(channel);
    }
    const entry: BusHandler = (m) => handler(m);
    handlers.add(entry);
    return async () => {
      const set = this.handlers.get(channel);
      if (!set?.delete(entry) || set.size > 0) return;
      this.handlers.delete(channel);
      this.probes.delete(channel);
      if (!this.closed) await this.opts.subscriber.sunsubscribe(channel);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.handlers.clear();
    await settleWithin(1500, Promise.allSettled([closeRedis(this.opts.subscriber), closeRedis(this.opts.publisher)]));
  }

  private subscribeOn(channel: string): void {
    this.opts.subscriber.ssubscribe(channel).catch((err: unknown) => this.opts.log.warn({ err, channel }, 'bus: resubscribe failed'));
  }

  private deliver(channel: string, message: string): void {
    if (message.startsWith(PROBE)) {
      const out = this.probes.get(channel);
      if (out && message === out.id) this.probes.delete(channel);
      return;
    }
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (err) {
        this.opts.log.error({ err, channel }, 'bus: a handler failed');
      }
    }
  }

  private probe(): void {
    if (this.closed || this.opts.subscriber.status !== 'ready' || this.opts.publisher.status !== 'ready') return;
    const now = Date.now();
    if (now < this.recoveringUntil) return;
    const timeout = this.opts.probeTimeoutMs ?? 3000;
    for (const channel of this.handlers.keys()) {
      const out = this.probes.get(channel);
      if (out && now - out.sentAt > timeout) return this.recover(`probe on ${channel} not back after ${timeout} ms`);
      if (out) continue;
      const id = `${PROBE}${this.nonce}:${++this.probeCount}`;
      this.probes.set(channel, { id, sentAt: now });
      this.opts.publisher.spublish(channel, id).catch(() => this.probes.delete(channel));
    }
  }

  /** The subscription went silent: reconnect the subscriber (which subscribes again on ready). */
  private recover(why: string): void {
    if (this.closed) return;
    this.resubscribes++;
    this.opts.log.warn({ why }, 'bus: subscription went silent, resubscribing');
    this.probes.clear();
    this.recoveringUntil = Date.now() + (this.opts.probeTimeoutMs ?? 3000);
    this.opts.subscriber.disconnect(true);
  }
}

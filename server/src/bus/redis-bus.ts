import type { Redis } from 'ioredis';
import type { Log } from '../log.ts';
import type { Bus, BusHandler } from './bus.ts';

export interface RedisBusOptions {
  /** Publishes (and probes). Owned by the bus: closed with it. */
  publisher: Redis;
  /** Used for nothing but subscriptions. Owned by the bus: closed with it. */
  subscriber: Redis;
  log: Log;
  /** How often every subscribed channel is probed. @default 1000 */
  probeMs?: number;
  /** A probe not back within this long means the subscription went silent. @default 3000 */
  probeTimeoutMs?: number;
}

/** Probes travel on the channels themselves; handlers never see them. */
const PROBE = '\u0000probe:';

/**
 * Redis pub/sub as a Bus: one connection publishes, a dedicated one subscribes.
 *
 * A subscription can go silent with every connection looking healthy (after a failover the
 * subscriber may be connected to a node that knows nothing of it: centrifugo #1189). So the bus
 * publishes a probe to each of its channels every `probeMs` and expects it back; a probe that
 * finds no subscriber, or does not come back in `probeTimeoutMs`, makes it reconnect the
 * subscriber and subscribe again.
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
    const { subscriber, log } = opts;
    subscriber.on('message', (channel: string, message: string) => this.deliver(channel, message));
    // After any reconnect, make sure every channel is subscribed (ioredis resubscribes what it
    // knows of; this also covers what it may have lost).
    subscriber.on('ready', () => {
      const channels = [...this.handlers.keys()];
      if (channels.length && !this.closed) subscriber.subscribe(...channels).catch((err: unknown) => log.warn({ err }, 'bus: resubscribe failed'));
    });
    this.timer = setInterval(() => this.probe(), opts.probeMs ?? 1000);
    this.timer.unref();
  }

  async publish(channel: string, message: string): Promise<number> {
    return this.opts.publisher.publish(channel, message);
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      await this.opts.subscriber.subscribe(channel);
    }
    const entry: BusHandler = (m) => handler(m);
    handlers.add(entry);
    return async () => {
      const set = this.handlers.get(channel);
      if (!set?.delete(entry) || set.size > 0) return;
      this.handlers.delete(channel);
      this.probes.delete(channel);
      if (!this.closed) await this.opts.subscriber.unsubscribe(channel);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.handlers.clear();
    const quit = Promise.allSettled([this.opts.subscriber.quit(), this.opts.publisher.quit()]);
    await Promise.race([quit, new Promise((r) => setTimeout(r, 1000))]);
    this.opts.subscriber.disconnect();
    this.opts.publisher.disconnect();
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
      this.opts.publisher.publish(channel, id).then(
        (receivers) => {
          if (receivers === 0 && this.handlers.has(channel) && this.probes.get(channel)?.id === id) this.recover(`no subscriber on ${channel}`);
        },
        () => this.probes.delete(channel),
      );
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

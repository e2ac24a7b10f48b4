import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { HubSocket } from '../socket.ts';
import type { UpgradeLimits } from './upgrade-limits.ts';

/** How long a socket the hub closed stays open for its close frame to reach the peer. */
const HANG_UP_LINGER_MS = 1000;

/**
 * The hub's side of a device socket. Frames sent in one turn of the event loop leave in one
 * write: the first one corks the TCP socket and the next tick uncorks it, so a command's push and
 * its result to the same device (or the frames of many pipelined commands) cost one syscall, and
 * nothing waits longer than the turn that produced it.
 *
 * A class, not an object of closures: a hub holds one per connection, and methods on the
 * prototype cost a connection nothing.
 */
export class DeviceSocket implements HubSocket {
  private corked = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly raw: Duplex,
    /** A socket cut off for abuse costs its user new sockets (UpgradeLimits.penalize). */
    private readonly limits: Pick<UpgradeLimits, 'penalize'>,
    private readonly userId: string,
  ) {}

  send(text: string): void {
    if (!this.corked) {
      this.corked = true;
      this.raw.cork();
      process.nextTick(uncork, this);
    }
    this.ws.send(text);
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  close(code: number, reason: string, hostile?: boolean): void {
    if (!hostile) return this.ws.close(code, reason);
    this.limits.penalize(this.userId);
    hangUp(this.ws, this.raw, code, reason);
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** The turn is over: what it sent leaves in one write. */
  uncork(): void {
    this.corked = false;
    this.raw.uncork();
  }
}

const uncork = (socket: DeviceSocket) => socket.uncork();

/**
 * The hub cuts off a hostile device socket: the close frame goes out, and nothing more is read. A
 * peer cut off for sending garbage or flooding has usually sent far more already; reading it (the
 * framing layer copies and unmasks every byte) would spend the hub on the attacker after all. The
 * socket is destroyed once the close frame had time to arrive, without waiting for an answer.
 */
function hangUp(ws: WebSocket, raw: Duplex, code: number, reason: string): void {
  ws.close(code, reason);
  raw.pause();
  setTimeout(() => ws.terminate(), HANG_UP_LINGER_MS).unref();
}

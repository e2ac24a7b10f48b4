import type { Duplex } from 'node:stream';
import type { Clock } from '../clock.ts';
import { RateLimiter, type RateDecision, type RateLimitSettings } from '../limits/rate-limit.ts';
import { HeldRefusals } from './held-refusals.ts';

/** How fast new sockets may be opened. Every value can be set from config. */
export interface UpgradeLimitSettings {
  /** New sockets per second from one client address, and the burst. @default 20 / 100 */
  perAddress: RateLimitSettings;
  /** New sockets per second for one user (all their devices and viewers together), and the burst. @default 10 / 60 */
  perUser: RateLimitSettings;
  /**
   * Connections from an address over its rate that are still read, to be answered 429 with
   * `Retry-After`: this many at once, then one a second. The rest are reset at TCP accept.
   * @default 5
   */
  answeredRefusals: number;
  /**
   * How long a connection refused at TCP accept is held, unread, before its reset (held-refusals.ts):
   * a client that waits for each attempt then storms at its parallelism per hold, not as fast as
   * accept and reset go round. 0: reset at once. @default 1000
   */
  refusalHoldMs: number;
  /**
   * New sockets a user forfeits each time the hub cuts one of theirs off for abuse (4008, 4029):
   * a client that floods or sends garbage, then reconnects at once, reconnects at a fraction of
   * the per-user rate. 0: no penalty. @default 10
   */
  abusePenalty: number;
}

export const DEFAULT_UPGRADE_LIMITS: UpgradeLimitSettings = {
  perAddress: { ratePerSec: 20, burst: 100 },
  perUser: { ratePerSec: 10, burst: 60 },
  answeredRefusals: 5,
  refusalHoldMs: 1000,
  abusePenalty: 10,
};

/** Refusals answered per second per address once its `answeredRefusals` are spent. */
const ANSWERS_PER_SEC = 1;

/**
 * Connection-rate limits at the upgrade, before any WebSocket work: the address is checked before
 * the token is even read, the user right after it is verified. A refusal is a plain HTTP 429 with
 * `Retry-After`, and the TCP socket is ended: no handshake, no socket object, no hub state.
 * An address that goes on past its refusals is refused earlier still, at TCP accept (`accept`).
 * (The limit on sockets open at once per address is the hub's, `MAX_CONNECTIONS_PER_ADDRESS`.)
 */
export class UpgradeLimits {
  private readonly perAddress: RateLimiter;
  private readonly perUser: RateLimiter;
  private readonly accepted: RateLimiter;
  private readonly answers: RateLimiter;
  private readonly abusePenalty: number;
  /** Connections refused at accept, held before their reset. */
  readonly held: HeldRefusals;

  constructor(settings: UpgradeLimitSettings, clock: Clock) {
    const now = () => clock.now();
    this.perAddress = new RateLimiter(settings.perAddress, now);
    this.perUser = new RateLimiter(settings.perUser, now);
    this.abusePenalty = settings.abusePenalty;
    this.accepted = new RateLimiter(settings.perAddress, now);
    this.answers = new RateLimiter({ ratePerSec: ANSWERS_PER_SEC, burst: settings.answeredRefusals }, now);
    this.held = new HeldRefusals(settings.refusalHoldMs, clock);
  }

  /**
   * At TCP accept, before a byte of the connection is read: whether to read it at all. New
   * connections from one address (plain HTTP ones too) get the same rate and burst as its new
   * sockets, counted here on their own: a count taken at the upgrade would let every connection
   * accepted before the first upgrade spent the last token through. Over that rate, the address's
   * first `answeredRefusals` connections, then one a second, are still read: their upgrades are
   * answered 429 with `Retry-After`, so a client that backs off learns when to come back. The rest
   * are not read: held for `refusalHoldMs`, then reset (`held`). A client that ignores `Retry-After`
   * then costs the hub an accept and a reset, no HTTP parsing and no answer, and one that waits
   * for an answer waits a while for it. Only for an address that is the peer itself: behind a trusted
   * proxy the client's address is in a header, not known until the request is parsed.
   */
  accept(address: string): boolean {
    return this.accepted.take(address).ok || this.answers.take(address).ok;
  }

  /** One of `userId`'s sockets was cut off for abuse: their next new sockets wait (see `abusePenalty`). */
  penalize(userId: string): void {
    this.perUser.charge(userId, this.abusePenalty);
  }

  address(address: string): RateDecision {
    return this.perAddress.take(address);
  }

  user(userId: string): RateDecision {
    return this.perUser.take(userId);
  }
}

/** Answer an upgrade with 429 and `Retry-After` (whole seconds, at least 1), in the Web API's error shape, and end the socket. */
export function refuseUpgrade(socket: Duplex, retryAfterMs: number, message: string): void {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const body = JSON.stringify({ error: { status: 429, message: `${message}: retry in ${seconds} s` } });
  socket.end(
    `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${seconds}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

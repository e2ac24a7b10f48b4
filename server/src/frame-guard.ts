import type { ErrorCode } from '@handoff/protocol';
import type { Clock } from './clock.ts';

/** How much protocol breaking one device socket gets away with. Every value can be set from config. */
export interface FrameGuardSettings {
  /** Invalid frames within `windowMs` that close the socket (frames before `device.hello` count double). @default 20 */
  maxInvalidFrames: number;
  /** @default 10000 */
  windowMs: number;
  /** The close code for such a socket. @default CloseCode.INVALID_FRAMES (4008) */
  closeCode: number;
  /** Frames over this many bytes are refused unread (the framing layer's MAX_PAYLOAD_BYTES closes at its own, larger, limit). @default 16 KiB */
  maxFrameBytes: number;
}

/** Once a socket is halfway to the limit, its refusals are summed up in one error per `COALESCE_MS`. */
export const COALESCE_MS = 1000;

/** What to do with a frame that broke the protocol. */
export type Verdict = 'reply' | 'quiet' | 'close';

export interface Refusal {
  code: ErrorCode;
  message: string;
}

const OPEN_BRACE = 0x7b;

/**
 * The device socket's bouncer: cheap checks that refuse a frame before it is decoded or parsed
 * (binary, oversized, not starting with `{`), and the count of frames that broke the protocol.
 * A socket that keeps breaking it is closed. Until it is halfway there, every refusal is answered
 * on its own (an honest client with a bug learns what is wrong); past that, the refusals are
 * coalesced into one summary a second, so a hostile socket cannot make the hub write a reply per
 * frame.
 */
export class FrameGuard {
  private windowStart = -Infinity;
  private score = 0;
  private quiet = 0;
  private last: Refusal | null = null;
  private timer: unknown = null;

  constructor(
    private readonly settings: FrameGuardSettings,
    private readonly clock: Clock,
    /** Sends one coalesced error (not counted again). */
    private readonly summary: (refusal: Refusal) => void,
  ) {}

  /** The checks that need no decoding: null when the frame may be parsed. */
  screen(data: Buffer | string, isBinary: boolean): Refusal | null {
    if (isBinary) return { code: 'BAD_REQUEST', message: 'binary frames are not part of the protocol' };
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (size > this.settings.maxFrameBytes) return { code: 'BAD_REQUEST', message: `a frame of ${size} bytes is over the ${this.settings.maxFrameBytes}-byte limit` };
    const first = typeof data === 'string' ? data.charCodeAt(0) : data[0];
    if (first !== OPEN_BRACE) return { code: 'BAD_JSON', message: 'a frame is one JSON object, starting with {' };
    return null;
  }

  /** A frame broke the protocol; `beforeHello` ones weigh double. Says whether to answer it, stay quiet, or close. */
  strike(refusal: Refusal, beforeHello: boolean): Verdict {
    const now = this.clock.now();
    if (now - this.windowStart >= this.settings.windowMs) {
      this.windowStart = now;
      this.score = 0;
    }
    this.score += beforeHello ? 2 : 1;
    if (this.score >= this.settings.maxInvalidFrames) {
      this.stop();
      return 'close';
    }
    if (this.score < this.settings.maxInvalidFrames / 2) return 'reply';
    this.quiet++;
    this.last = refusal;
    this.timer ??= this.clock.setTimeout(() => this.flush(), COALESCE_MS);
    return 'quiet';
  }

  /** Why the socket is closed, for its close frame (at most 123 bytes). */
  closeReason(): string {
    return `${this.settings.maxInvalidFrames} invalid frames within ${this.settings.windowMs} ms`;
  }

  /** The socket is gone: no summary is owed. */
  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): void {
    this.timer = null;
    const last = this.last;
    if (!last || this.quiet === 0) return;
    const n = this.quiet;
    this.quiet = 0;
    this.summary({ code: last.code, message: `${n} more invalid frame${n === 1 ? '' : 's'} refused without a reply; the last: ${last.message}` });
  }
}

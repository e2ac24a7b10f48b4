/**
 * The WebSocket framing a load client needs (RFC 6455 section 5), over raw bytes: client frames
 * masked with the all-zero key (masking guards proxies against a browser's crafted bytes; on
 * loopback there are none, and a zero key makes the XOR a no-op on both ends), and an incremental
 * reader of the server's frames that copes with any split of the TCP stream.
 */

export const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Bytes of a client frame's header: 2, then 2 or 8 of extended length, then the 4-byte mask key. */
export function clientHeaderLength(payloadLength: number): number {
  return (payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10) + 4;
}

/**
 * Writes a final client frame's header for `payloadLength` bytes at the start of `out` (zero mask
 * key) and returns where the payload goes.
 */
export function writeClientHeader(out: Buffer, opcode: Opcode, payloadLength: number): number {
  out[0] = 0x80 | opcode;
  let at: number;
  if (payloadLength < 126) {
    out[1] = 0x80 | payloadLength;
    at = 2;
  } else if (payloadLength < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(payloadLength, 2);
    at = 4;
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(payloadLength / 2 ** 32), 2);
    out.writeUInt32BE(payloadLength >>> 0, 6);
    at = 10;
  }
  out.writeUInt32BE(0, at);
  return at + 4;
}

/** One final client frame (text by default) carrying `payload`, masked with the zero key. */
export function clientFrame(payload: string | Buffer, opcode: Opcode = Opcode.text): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const out = Buffer.allocUnsafe(clientHeaderLength(length) + length);
  const at = writeClientHeader(out, opcode, length);
  if (typeof payload === 'string') out.write(payload, at);
  else payload.copy(out, at);
  return out;
}

/** A close frame with its status code (and no reason). */
export function closeFrame(code: number): Buffer {
  const body = Buffer.allocUnsafe(2);
  body.writeUInt16BE(code, 0);
  return clientFrame(body, Opcode.close);
}

/** What the reader hands on. Payloads are views into the bytes read: copy one to keep it past the call. */
export interface FrameSink {
  /** A whole text message (its fragments joined, when it came in several). */
  text(payload: Buffer): void;
  ping(payload: Buffer): void;
  /** The server's close frame: its code (1005 when it gave none) and reason. */
  close(code: number, reason: string): void;
  /** Bytes this client does not take (a masked or binary frame, reserved bits, a bad control frame); nothing is read after. */
  error(reason: string): void;
}

/**
 * Reads server frames as bytes arrive. The common case (one or more whole frames in a chunk) is
 * read in place, with no copy; a frame cut by the stream waits, with the bytes before it, for the
 * rest. Pongs and binary messages are not expected from the hub: a pong is ignored, a binary
 * message is an error.
 */
export class FrameReader {
  private rest: Buffer | null = null;
  /** The fragments of a text message still being received. */
  private parts: Buffer[] | null = null;
  private stopped = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxPayload = 16 * 1024 * 1024,
  ) {}

  /** Stop reading: after this, `push` drops everything (the socket is going away). */
  stop(): void {
    this.stopped = true;
    this.rest = null;
    this.parts = null;
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    let at = 0;
    while (!this.stopped) {
      const left = buf.length - at;
      if (left < 2) break;
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      if (b1 & 0x80) return this.fail('a masked frame from the server');
      if (b0 & 0x70) return this.fail('reserved bits set');
      let length = b1 & 0x7f;
      let head = 2;
      if (length === 126) {
        if (left < 4) break;
        length = buf.readUInt16BE(at + 2);
        head = 4;
      } else if (length === 127) {
        if (left < 10) break;
        const high = buf.readUInt32BE(at + 2);
        length = high * 2 ** 32 + buf.readUInt32BE(at + 6);
        head = 10;
      }
      if (length > this.maxPayload) return this.fail(`a frame of ${length} bytes`);
      if (left < head + length) break;
      const payload = buf.subarray(at + head, at + head + length);
      at += head + length;
      this.frame((b0 & 0x80) !== 0, b0 & 0x0f, payload);
    }
    if (!this.stopped && at < buf.length) this.rest = buf.subarray(at);
  }

  private frame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode >= 0x8) {
      if (!fin || payload.length > 125) return this.fail('a fragmented or long control frame');
      if (opcode === Opcode.ping) return this.sink.ping(payload);
      if (opcode === Opcode.close) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.stop();
        return this.sink.close(code, payload.toString('utf8', 2));
      }
      if (opcode === Opcode.pong) return;
      return this.fail(`opcode ${opcode}`);
    }
    if (opcode === Opcode.text) {
      if (this.parts) return this.fail('a new message inside a fragmented one');
      if (fin) return this.sink.text(payload);
      this.parts = [Buffer.from(payload)];
      return;
    }
    if (opcode === Opcode.continuation && this.parts) {
      this.parts.push(Buffer.from(payload));
      if (!fin) return;
      const whole = Buffer.concat(this.parts);
      this.parts = null;
      return this.sink.text(whole);
    }
    this.fail(opcode === Opcode.binary ? 'a binary message' : `opcode ${opcode}`);
  }

  private fail(reason: string): void {
    this.stop();
    this.sink.error(reason);
  }
}

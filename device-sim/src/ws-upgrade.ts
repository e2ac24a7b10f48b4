import { createHash, randomBytes } from 'node:crypto';

/** RFC 6455 section 1.3: the server proves it read the key by hashing it with this GUID. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptFor(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** A client's opening handshake for one `ws://` URL, built once and sent on every connect. */
export interface Upgrade {
  host: string;
  port: number;
  /** The HTTP/1.1 GET with its Upgrade headers, as bytes. */
  request: Buffer;
  /** The `Sec-WebSocket-Accept` the server must answer with. */
  accept: string;
}

/**
 * The handshake for `url` (`ws://host:port/path?query`), with a fresh random key. A device keeps
 * its key across reconnects: the key only proves the server speaks WebSocket, it is no secret.
 */
export function upgradeFor(url: string, key = randomBytes(16).toString('base64')): Upgrade {
  const u = new URL(url);
  if (u.protocol !== 'ws:') throw new Error(`only ws:// URLs are supported here, not ${u.protocol}`);
  const port = u.port ? Number(u.port) : 80;
  const request =
    `GET ${u.pathname}${u.search} HTTP/1.1\r\n` +
    `Host: ${u.host}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\n` +
    'Sec-WebSocket-Version: 13\r\n\r\n';
  return { host: u.hostname, port, request: Buffer.from(request, 'latin1'), accept: acceptFor(key) };
}

const END = Buffer.from('\r\n\r\n');

/** What the bytes read so far say of the server's answer. */
export type UpgradeReply =
  | { state: 'partial' }
  /** Switched: `rest` are the bytes after the headers (frames already sent). */
  | { state: 'open'; rest: Buffer }
  | { state: 'refused'; reason: string };

/**
 * The server's answer to the handshake, from the bytes read so far: a `101 Switching Protocols`
 * with `Upgrade: websocket` and the expected `Sec-WebSocket-Accept`, or why not. A refusal says
 * `Unexpected server response: <status>`, as the `ws` client does, so a fleet counts both alike.
 */
export function readUpgradeReply(bytes: Buffer, accept: string): UpgradeReply {
  const end = bytes.indexOf(END);
  if (end < 0) return bytes.length > 16_384 ? { state: 'refused', reason: 'handshake headers too long' } : { state: 'partial' };
  const lines = bytes.toString('latin1', 0, end).split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1];
  if (status !== '101') return { state: 'refused', reason: `Unexpected server response: ${status ?? lines[0]}` };
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return { state: 'refused', reason: 'Invalid Upgrade header' };
  if (headers.get('sec-websocket-accept') !== accept) return { state: 'refused', reason: 'Invalid Sec-WebSocket-Accept header' };
  return { state: 'open', rest: bytes.subarray(end + END.length) };
}

import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Where a request really comes from. Behind a balancer every socket's peer is the balancer, so
 * the per-address limits would lump all users together; the balancer names the client in
 * `X-Forwarded-For`. That header is anyone's to write, so it is read only when the peer is one of
 * the `TRUSTED_PROXIES`, and then from the right: the first address that is not itself a trusted
 * proxy is the client (a client cannot forge what the proxies appended after its own entries).
 */
export class ClientAddress {
  private readonly trusted: BlockList | null;

  constructor(trustedProxies: string) {
    const entries = splitList(trustedProxies);
    this.trusted = entries.length > 0 ? blockListOf(entries) : null;
  }

  /** The client's address for `req` (the peer's, unless a trusted proxy forwarded it). */
  of(req: IncomingMessage): string {
    const peer = normalize(req.socket.remoteAddress ?? '?');
    if (!this.trusted || !this.isTrusted(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalize(hops[i]!.trim());
      if (!isIP(hop)) return peer; // garbage in the chain: trust nothing left of it
      if (!this.isTrusted(hop)) return hop;
    }
    return peer;
  }

  /**
   * The client's address for a connection from `remoteAddress`, known before any request on it is
   * read; null when the peer is a trusted proxy (the client is named in each request's header).
   */
  ofPeer(remoteAddress: string | undefined): string | null {
    const peer = normalize(remoteAddress ?? '?');
    return this.trusted && this.isTrusted(peer) ? null : peer;
  }

  private isTrusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.trusted!.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** Whether `value` is a comma-separated list of IP addresses and CIDR ranges (empty: none). */
export function validTrustedProxies(value: string): boolean {
  try {
    blockListOf(splitList(value));
    return true;
  } catch {
    return false;
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function blockListOf(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) throw new Error(`not an IP address or CIDR range: ${entry}`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = Number(bits);
    if (!/^\d+$/.test(bits) || prefix > (family === 6 ? 128 : 32)) throw new Error(`not a CIDR prefix: ${entry}`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) is 10.0.0.1. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

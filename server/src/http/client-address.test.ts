import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { ClientAddress, validTrustedProxies } from './client-address.ts';

const req = (peer: string, xff?: string | string[]) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

describe('client address', () => {
  test('without trusted proxies the peer is the client, whatever X-Forwarded-For says', () => {
    expect(new ClientAddress('').of(req('198.51.100.7', '203.0.113.1'))).toBe('198.51.100.7');
  });

  test('a peer that is not a trusted proxy cannot name another client', () => {
    expect(new ClientAddress('10.0.0.0/8').of(req('198.51.100.7', '203.0.113.1'))).toBe('198.51.100.7');
  });

  test('from a trusted proxy, the rightmost address that is not a trusted proxy is the client', () => {
    const addresses = new ClientAddress('10.0.0.0/8, 192.168.1.1');
    // The client wrote "1.2.3.4" itself; the proxies appended 203.0.113.9 and 10.0.0.2.
    expect(addresses.of(req('192.168.1.1', '1.2.3.4, 203.0.113.9, 10.0.0.2'))).toBe('203.0.113.9');
    expect(addresses.of(req('10.1.2.3', ['1.2.3.4', '203.0.113.9']))).toBe('203.0.113.9');
  });

  test('IPv4 on a dual-stack socket matches IPv4 ranges; IPv6 ranges work too', () => {
    expect(new ClientAddress('127.0.0.1').of(req('::ffff:127.0.0.1', '203.0.113.5'))).toBe('203.0.113.5');
    expect(new ClientAddress('fd00::/8').of(req('fd00::1', '2001:db8::5'))).toBe('2001:db8::5');
  });

  test('a trusted proxy with no header, or garbage in the chain, leaves the peer', () => {
    const addresses = new ClientAddress('127.0.0.1');
    expect(addresses.of(req('127.0.0.1'))).toBe('127.0.0.1');
    expect(addresses.of(req('127.0.0.1', 'not-an-ip'))).toBe('127.0.0.1');
  });

  test.each([
    ['', true],
    ['10.0.0.0/8,::1', true],
    ['10.0.0.1, 192.168.0.0/16', true],
    ['10.0.0.0/33', false],
    ['example.com', false],
    ['10.0.0.0/8/1', false],
  ])('TRUSTED_PROXIES=%j is valid: %s', (value, ok) => {
    expect(validTrustedProxies(value)).toBe(ok);
  });
});

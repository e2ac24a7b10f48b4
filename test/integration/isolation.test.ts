import { commandFlood, connectionStorm, garbageChurn, helloFrame, LeanDevice, type Attack } from '@handoff/device-sim';
import { CloseCode } from '@handoff/protocol';
import { signToken, type RunningHub } from '@handoff/server';
import { connect } from 'node:net';
import { describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { startTestHub } from '../helpers/start-hub.ts';

const tokenFor = (hub: RunningHub, user: string) => signToken(hub.secret, { userId: user, role: 'device' }, 600);
const urlFor = async (hub: RunningHub, user: string) => `${hub.wsUrl}?access_token=${await tokenFor(hub, user)}`;

/** A raw device socket that records every message and its close code. */
async function rawSocket(hub: RunningHub, user: string) {
  const ws = new WebSocket(await urlFor(hub, user), { perMessageDeflate: false });
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const until = async (predicate: () => boolean, what: string) => {
    for (const start = Date.now(); !predicate(); await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() - start > 10_000) throw new Error(`timed out waiting for ${what}`);
    }
  };
  return { ws, messages, closed, until, errors: () => messages.filter((m) => m.type === 'error') };
}

interface UpgradeAnswer {
  status: number;
  retryAfter: string | undefined;
  body: string;
  ws: WebSocket | null;
}

/** One upgrade attempt: 101 (the socket, open) or the HTTP answer that refused it. */
function upgrade(url: string, opts: { localAddress?: string; headers?: Record<string, string> } = {}): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    ws.once('open', () => resolve({ status: 101, retryAfter: undefined, body: '', ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body, ws: null }));
    });
    ws.once('error', reject);
  });
}

/**
 * One upgrade over a bare TCP socket, so that what comes back is seen byte for byte: the status
 * of the HTTP answer (and its Retry-After), or 'reset' when the connection ended without a byte.
 */
function rawUpgrade(hub: RunningHub, token: string, opts: { localAddress?: string; forwardedFor?: string } = {}): Promise<{ outcome: number | 'reset'; retryAfter?: string }> {
  const { hostname, port } = new URL(hub.wsUrl);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    let received = '';
    socket.on('connect', () =>
      socket.write(
        `GET /v1/connect?access_token=${token} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${opts.forwardedFor ? `X-Forwarded-For: ${opts.forwardedFor}\r\n` : ''}\r\n`,
      ),
    );
    const done = () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve(status ? { outcome: Number(status[1]), ...(/retry-after: (\d+)/i.exec(received) ? { retryAfter: /retry-after: (\d+)/i.exec(received)![1] } : {}) } : { outcome: 'reset' });
    };
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      // A 101 leaves the socket open: the status line is all this needs.
      if (received.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', done);
    socket.on('error', () => {});
  });
}

const statuses = (answers: UpgradeAnswer[]) => answers.map((a) => a.status).sort();
const closeAll = (answers: UpgradeAnswer[]) => answers.forEach((a) => a.ws?.close());

describe('a socket that keeps breaking the protocol', () => {
  test('sending only garbage, it is closed with INVALID_FRAMES after N/2 frames (they count double before the hello), with fewer replies than frames', async () => {
    await using hub = await startTestHub({ INVALID_FRAME_LIMIT: '20' });
    const s = await rawSocket(hub, 'mallory');
    for (let i = 0; i < 10; i++) s.ws.send(i % 2 ? '{"type":' : '[1,2,3]');
    const closed = await s.closed;
    expect(closed.code).toBe(CloseCode.INVALID_FRAMES);
    expect(closed.reason).toBe('20 invalid frames within 10000 ms');
    expect(s.errors().length).toBeGreaterThan(0);
    expect(s.errors().length).toBeLessThan(10);
  });

  test('N-1 invalid frames leave it open and working; the Nth closes it', async () => {
    await using hub = await startTestHub({ INVALID_FRAME_LIMIT: '20' });
    const s = await rawSocket(hub, 'mallory');
    for (let i = 0; i < 9; i++) s.ws.send('nope'); // 18 of 20
    s.ws.send(helloFrame('m-1'));
    await s.until(() => s.messages.some((m) => m.type === 'hub.welcome'), 'the welcome');
    s.ws.send('nope'); // 19
    s.ws.send('{"type":"command.pause","commandId":"still-here"}');
    await s.until(() => s.messages.some((m) => m.type === 'command.result' && m.commandId === 'still-here'), 'the command result');
    s.ws.send('nope'); // 20
    expect((await s.closed).code).toBe(CloseCode.INVALID_FRAMES);
  });

  test('past half the limit, refusals are coalesced into one summary instead of one reply per frame', async () => {
    await using hub = await startTestHub({ INVALID_FRAME_LIMIT: '40' });
    const s = await rawSocket(hub, 'mallory');
    s.ws.send(helloFrame('m-1'));
    await s.until(() => s.messages.some((m) => m.type === 'hub.welcome'), 'the welcome');
    for (let i = 0; i < 30; i++) s.ws.send('{"type":"device.selfdestruct"}');
    await s.until(() => s.errors().some((m) => String(m.message).includes('more invalid frames')), 'the summary');
    const errors = s.errors();
    expect(errors).toHaveLength(20);
    expect(errors.slice(0, 19).every((m) => m.code === 'UNKNOWN_TYPE')).toBe(true);
    expect(errors[19]).toMatchObject({ code: 'UNKNOWN_TYPE', message: expect.stringMatching(/^11 more invalid frames refused without a reply/) });
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    s.ws.close();
  });
});

describe('connection-rate limits at the upgrade', () => {
  test('a user whose socket was cut off for abuse waits before opening new sockets (UPGRADE_ABUSE_PENALTY); another user does not', async () => {
    await using hub = await startTestHub({ INVALID_FRAME_LIMIT: '4', UPGRADE_RATE_PER_USER: '1', UPGRADE_BURST_PER_USER: '3', UPGRADE_ABUSE_PENALTY: '3' });
    const mallory = await rawSocket(hub, 'mallory');
    // Two frames of garbage before the hello count four: cut off with 4008.
    mallory.ws.send('garbage');
    mallory.ws.send('garbage');
    expect((await mallory.closed).code).toBe(CloseCode.INVALID_FRAMES);
    // Two of three new sockets left after the first, minus the penalty of three: refused, though within the burst.
    const next = await rawUpgrade(hub, await tokenFor(hub, 'mallory'));
    expect(next.outcome).toBe(429);
    expect(Number(next.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await rawUpgrade(hub, await tokenFor(hub, 'bob'))).outcome).toBe(101);
  });

  test('a storm of upgrades from one address gets 429 with Retry-After, before any socket exists; another address is not affected', async () => {
    await using hub = await startTestHub({ UPGRADE_RATE_PER_ADDRESS: '1', UPGRADE_BURST_PER_ADDRESS: '5' });
    const storm = await Promise.all(Array.from({ length: 10 }, async (_, i) => upgrade(await urlFor(hub, `u${i}`), { localAddress: '127.0.0.2' })));
    expect(statuses(storm)).toEqual([...Array<number>(5).fill(101), ...Array<number>(5).fill(429)]);
    for (const refused of storm.filter((a) => a.status === 429)) {
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { status: 429, message: expect.stringContaining('too many new connections from this address') } });
    }
    expect(hub.hub.connectionCount).toBe(5);
    const neighbour = await upgrade(await urlFor(hub, 'someone-else'), { localAddress: '127.0.0.3' });
    expect(neighbour.status).toBe(101);
    closeAll([...storm, neighbour]);
  });

  test('past its answered refusals, a storming address is held at TCP accept, unread, then reset without a byte of HTTP; another address still upgrades', async () => {
    // A short hold: each of the storm's attempts below waits for its reset.
    await using hub = await startTestHub({ UPGRADE_RATE_PER_ADDRESS: '1', UPGRADE_BURST_PER_ADDRESS: '2', UPGRADE_ANSWERED_REFUSALS: '3', UPGRADE_REFUSAL_HOLD_MS: '100' });
    const token = await tokenFor(hub, 'mallory');
    const storm: Array<{ outcome: number | 'reset'; retryAfter?: string }> = [];
    for (let i = 0; i < 12; i++) storm.push(await rawUpgrade(hub, token, { localAddress: '127.0.0.2' }));
    // Two within the burst, then the three refusals that are answered, with Retry-After.
    expect(storm.slice(0, 5).map((a) => a.outcome)).toEqual([101, 101, 429, 429, 429]);
    for (const refused of storm.slice(2, 5)) expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // The rest are reset unanswered (but for one answer, or one socket, earned per second).
    const rest = storm.slice(5).map((a) => a.outcome);
    expect(rest.filter((o) => o === 'reset').length, JSON.stringify(rest)).toBeGreaterThan(0);
    expect(rest.every((o) => o === 'reset' || o === 429 || o === 101), JSON.stringify(rest)).toBe(true);
    expect((await rawUpgrade(hub, await tokenFor(hub, 'someone-else'), { localAddress: '127.0.0.3' })).outcome).toBe(101);
  });

  test('a trusted proxy is never reset at accept, even over its own rate: its clients are told apart only once their requests are read', async () => {
    await using hub = await startTestHub({ UPGRADE_RATE_PER_ADDRESS: '1', UPGRADE_BURST_PER_ADDRESS: '2', UPGRADE_ANSWERED_REFUSALS: '1', TRUSTED_PROXIES: '127.0.0.1' });
    const token = await tokenFor(hub, 'mallory');
    // The proxy's own requests (no X-Forwarded-For) count against its address, and go over it: answered 429, never reset.
    const own: Array<number | 'reset'> = [];
    for (let i = 0; i < 6; i++) own.push((await rawUpgrade(hub, token)).outcome);
    expect(own.slice(0, 2)).toEqual([101, 101]);
    expect(own.slice(2).every((o) => o === 429 || o === 101), JSON.stringify(own)).toBe(true);
    // Clients behind it, each with its own budget, still get in.
    for (const client of ['203.0.113.10', '203.0.113.11', '203.0.113.12', '203.0.113.13']) expect((await rawUpgrade(hub, await tokenFor(hub, client.replaceAll('.', '-')), { forwardedFor: client })).outcome).toBe(101);
  });

  test("one user's new sockets are limited across addresses; other users still connect", async () => {
    await using hub = await startTestHub({ UPGRADE_RATE_PER_USER: '1', UPGRADE_BURST_PER_USER: '3' });
    const answers = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map(async (localAddress) => upgrade(await urlFor(hub, 'mallory'), { localAddress })));
    expect(statuses(answers)).toEqual([101, 101, 101, 429]);
    expect(answers.find((a) => a.status === 429)!.body).toContain('too many new connections for this user');
    const bob = await upgrade(await urlFor(hub, 'bob'), { localAddress: '127.0.0.2' });
    expect(bob.status).toBe(101);
    closeAll([...answers, bob]);
  });

  test('X-Forwarded-For names the client only when the peer is one of TRUSTED_PROXIES', async () => {
    const limits = { UPGRADE_RATE_PER_ADDRESS: '1', UPGRADE_BURST_PER_ADDRESS: '2' };
    const via = (client: string) => ({ headers: { 'X-Forwarded-For': `198.51.100.77, ${client}` } });
    {
      await using hub = await startTestHub({ ...limits, TRUSTED_PROXIES: '127.0.0.1' });
      const one = await Promise.all([1, 2, 3].map(async (i) => upgrade(await urlFor(hub, `u${i}`), via('203.0.113.1'))));
      expect(statuses(one)).toEqual([101, 101, 429]);
      // The same proxy, another client behind it: its own budget.
      const other = await upgrade(await urlFor(hub, 'u4'), via('203.0.113.2'));
      expect(other.status).toBe(101);
      closeAll([...one, other]);
    }
    {
      await using hub = await startTestHub({ ...limits, TRUSTED_PROXIES: '10.0.0.0/8' });
      // Not from a trusted proxy: a forged header changes nothing, the peer's address is counted.
      const forged = await Promise.all(['203.0.113.1', '203.0.113.2', '203.0.113.3'].map(async (client, i) => upgrade(await urlFor(hub, `u${i}`), via(client))));
      expect(statuses(forged)).toEqual([101, 101, 429]);
      closeAll(forged);
    }
  });

  test('behind a trusted proxy, the open-sockets cap counts each forwarded client on its own', async () => {
    await using hub = await startTestHub({ TRUSTED_PROXIES: '127.0.0.1', MAX_CONNECTIONS_PER_ADDRESS: '1' });
    const a = await upgrade(await urlFor(hub, 'a'), { headers: { 'X-Forwarded-For': '203.0.113.1' } });
    const b = await upgrade(await urlFor(hub, 'b'), { headers: { 'X-Forwarded-For': '203.0.113.2' } });
    const a2 = await upgrade(await urlFor(hub, 'a'), { headers: { 'X-Forwarded-For': '203.0.113.1' } });
    const code = await new Promise<number>((resolve) => a2.ws!.once('close', resolve));
    expect(code).toBe(CloseCode.RATE_LIMITED);
    expect([a.ws!.readyState, b.ws!.readyState]).toEqual([WebSocket.OPEN, WebSocket.OPEN]);
    closeAll([a, b]);
  });
});

describe("one user's flood never harms another user", () => {
  test.each([
    ['malformed-frame churn', (url: string) => garbageChurn({ url, localAddress: '127.0.0.2', parallel: 4, framesPerSocket: 100 })],
    ['a connection storm from one address', (url: string) => connectionStorm({ url, localAddress: '127.0.0.2', parallel: 8 })],
    ['a flood of valid commands from one user', (url: string) => commandFlood({ url, localAddress: '127.0.0.2', parallel: 4, user: 'mallory' })],
  ])("during %s every one of the victim's commands succeeds, and the hub pushes back on the attacker", async (what, launch) => {
    await using hub = await startTestHub();
    const url = await urlFor(hub, 'victim');
    const devices = ['phone', 'speaker', 'tv'].map((kind) => new LeanDevice({ url, id: `victim-${kind}`, trackCluster: true }));
    for (const d of devices) await d.connect();
    let ids = 0;
    const run = (d: LeanDevice, c: { type: string } & Record<string, unknown>) => d.command({ ...c, commandId: `c${++ids}` }, 20_000);
    expect(await run(devices[0]!, { type: 'command.play', deviceId: devices[0]!.id, contextUri: 'demo:playlist:everything' })).toMatchObject({ ok: true });

    const attack: Attack = launch(await urlFor(hub, 'mallory'));
    const results: Array<{ type: string; ok: boolean; code?: string }> = [];
    for (let i = 0; i < 12; i++) {
      const controller = devices[i % 3]!;
      const target = devices.find((d) => d.id !== devices[0]!.activeDeviceId)!;
      const command = i % 2 === 0 ? { type: 'command.transfer', deviceId: target.id, play: true } : { type: 'command.volume', volumePercent: 10 + i };
      const result = await run(controller, command);
      results.push({ type: command.type, ok: result.ok, ...(result.ok ? {} : { code: result.code }) });
      await new Promise((r) => setTimeout(r, 50));
    }
    const report = await attack.stop();
    expect(results.filter((r) => !r.ok), what).toEqual([]);
    const pushedBack = Object.values(report.closedByHub).reduce((a, n) => a + n, 0) + report.refused429 + report.reset + report.rateLimited;
    expect(pushedBack, JSON.stringify(report)).toBeGreaterThan(0);
    for (const d of devices) d.close();
  });
});

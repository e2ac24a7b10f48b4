import { createServer, type Server } from 'node:net';
import { RawDevice } from '@handoff/device-sim';
import { CloseCode } from '@handoff/protocol';
import { signToken } from '@handoff/server';
import { describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { startTestHub } from '../helpers/start-hub.ts';

/** A server on a free loopback port, closed on dispose. */
async function listening<T extends Server | WebSocketServer>(make: (ready: () => void) => T): Promise<T & AsyncDisposable & { port: number }> {
  let server!: T;
  await new Promise<void>((resolve) => (server = make(resolve)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(server, { port, [Symbol.asyncDispose]: () => new Promise<void>((r) => server.close(() => r())) });
}

/** The fleet's device over raw `node:net`: the hub must not tell it from a `ws` client. */
describe('a raw device against a real hub', () => {
  test('it upgrades, is welcomed, answers the clock pings, and the hub estimates its clock', async () => {
    await using hub = await startTestHub();
    const url = `${hub.wsUrl}?access_token=${await signToken(hub.secret, { userId: 'raw-1', role: 'device' }, 600)}`;
    const device = new RawDevice({ url, id: 'speaker', skewMs: 5_000 });
    await device.connect();
    expect(device.connected).toBe(true);
    // The estimate comes from the pongs: their fields echoed as bytes, t1 and t2 on the device's clock.
    await expect.poll(() => device.offsetMs, { timeout: 10_000 }).toBeGreaterThan(4_900);
    expect(device.offsetMs).toBeLessThan(5_100);
    device.close();
    await expect.poll(() => device.connected).toBe(false);
  });

  test('a transfer between raw devices is done: prepare -> ready, switch -> started, both results ok', async () => {
    await using hub = await startTestHub();
    const url = `${hub.wsUrl}?access_token=${await signToken(hub.secret, { userId: 'raw-2', role: 'device' }, 600)}`;
    const phone = new RawDevice({ url, id: 'phone', kind: 'phone', trackCluster: true });
    const speaker = new RawDevice({ url, id: 'speaker', trackCluster: true });
    await Promise.all([phone.connect(), speaker.connect()]);
    expect(await phone.command({ type: 'command.play', commandId: 'c1', deviceId: 'speaker', contextUri: 'demo:playlist:everything' }, 10_000)).toMatchObject({ ok: true });
    expect(await phone.command({ type: 'command.transfer', commandId: 'c2', deviceId: 'phone', play: true }, 10_000)).toMatchObject({ ok: true });
    await expect.poll(() => speaker.activeDeviceId).toBe('phone');
    expect(phone.activeDeviceId).toBe('phone');
    phone.close();
    speaker.close();
  });

  test('a connect the hub closes before its welcome rejects with the close code and reason', async () => {
    await using hub = await startTestHub();
    const device = new RawDevice({ url: `${hub.wsUrl}?access_token=not-a-token`, id: 'speaker' });
    await expect(device.connect()).rejects.toThrow(`closed ${CloseCode.UNAUTHORIZED} `);
    expect(device.connected).toBe(false);
  });
});

describe('a raw device against servers that misbehave or speak control frames', () => {
  test('a refusal rejects the connect with its status, as the ws client words it; a 101 with the wrong Sec-WebSocket-Accept is refused', async () => {
    for (const [answer, why] of [
      ['HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n', 'Unexpected server response: 503'],
      ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: d3Jvbmc=\r\n\r\n', 'Invalid Sec-WebSocket-Accept header'],
    ] as const) {
      await using server = await listening((ready) => createServer((socket) => socket.once('data', () => socket.end(answer))).listen(0, '127.0.0.1', ready));
      const device = new RawDevice({ url: `ws://127.0.0.1:${server.port}/v1/connect`, id: 'speaker' });
      await expect(device.connect()).rejects.toThrow(why);
    }
  });

  test('a ping is answered with a pong of the same bytes, and a close frame is echoed and reported', async () => {
    await using wss = await listening((ready) => new WebSocketServer({ port: 0, host: '127.0.0.1' }, ready));
    const closed = new Promise<number>((resolve) =>
      wss.on('connection', (ws) => {
        ws.once('message', () => {
          ws.send(JSON.stringify({ type: 'hub.welcome', cluster: { revision: 1, activeDeviceId: null } }));
          ws.ping('heartbeat-7');
        });
        ws.on('pong', (data) => {
          expect(data.toString()).toBe('heartbeat-7');
          ws.close(4001, 'bye');
        });
        ws.on('close', (code) => resolve(code));
      }),
    );
    const lost: Array<[number, string]> = [];
    const device = new RawDevice({ url: `ws://127.0.0.1:${wss.port}/v1/connect`, id: 'speaker', onLost: (_, code, reason) => lost.push([code, reason]) });
    await device.connect();
    // The server's close event carries the code the client echoed back.
    expect(await closed).toBe(4001);
    await expect.poll(() => lost).toEqual([[4001, 'bye']]);
    expect(device.connected).toBe(false);
  });

  test('a device binds the source port it was given, and one that is taken is given up for the kernel to choose', async () => {
    await using wss = await listening((ready) => new WebSocketServer({ port: 0, host: '127.0.0.1' }, ready));
    const ports: number[] = [];
    wss.on('connection', (ws, req) => {
      ports.push(req.socket.remotePort ?? 0);
      ws.once('message', () => ws.send(JSON.stringify({ type: 'hub.welcome', cluster: { revision: 1, activeDeviceId: null } })));
    });
    // A port held by a listener: binding it fails, so it serves as one taken.
    await using taken = await listening((ready) => createServer().listen(0, '127.0.0.1', ready));
    await using free = await listening((ready) => createServer().listen(0, '127.0.0.1', ready));
    const freePort = free.port;
    await free[Symbol.asyncDispose]();
    const url = `ws://127.0.0.1:${wss.port}/v1/connect`;
    const given = new RawDevice({ url, id: 'given', localAddress: '127.0.0.1', localPort: freePort });
    await given.connect();
    expect(ports).toEqual([freePort]);
    const clash = new RawDevice({ url, id: 'clash', localAddress: '127.0.0.1', localPort: taken.port });
    await expect(clash.connect()).rejects.toThrow(/EADDRINUSE/);
    await clash.connect();
    expect(ports).toHaveLength(2);
    expect(ports[1]).not.toBe(taken.port);
    given.close();
    clash.close();
  });
});

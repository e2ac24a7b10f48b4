import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { HeldRefusals } from './held-refusals.ts';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A real TCP server whose every connection starts paused and is handed to `held`; resolves with its port. */
async function holdingServer(held: HeldRefusals, address = 'a') {
  const accepted: Array<{ socket: Socket; held: boolean }> = [];
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    const ok = held.hold(address, socket);
    if (!ok) socket.resetAndDestroy();
    accepted.push({ socket, held: ok });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, accepted };
}

/** A client that sends a request line and records how its connection ended. */
function client(port: number) {
  const c = connect(port, '127.0.0.1');
  const ended = new Promise<string>((resolve) => {
    let received = 0;
    c.on('data', (d: Buffer) => (received += d.length));
    c.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    c.on('close', () => resolve(received > 0 ? 'answered' : 'closed'));
  });
  const written = new Promise<void>((resolve) => c.once('connect', () => c.write('GET /v1/connect HTTP/1.1\r\n\r\n', () => resolve())));
  return { c, ended, written };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('connections refused at accept are held, then reset', () => {
  test('a held connection is never read, and is reset once the hold is over', async () => {
    const clock = new SimulatedClock();
    const held = new HeldRefusals(1000, clock);
    const { port, accepted } = await holdingServer(held);
    const one = client(port);
    await one.written;
    await until(() => accepted.length === 1);
    // A second connection made and accepted after the first one's bytes were sent: the first had time to be read.
    const two = client(port);
    await two.written;
    await until(() => accepted.length === 2);
    expect(accepted[0]!.socket.bytesRead).toBe(0);
    expect(held.size).toBe(2);
    clock.increment(999);
    expect(accepted[0]!.socket.destroyed).toBe(false);
    clock.increment(1);
    expect(await one.ended).toBe('ECONNRESET');
    expect(await two.ended).toBe('ECONNRESET');
    await until(() => held.size === 0);
  });

  test('an address holds at most 64 at once: the next is reset at once, and others are held as before', async () => {
    const clock = new SimulatedClock();
    const held = new HeldRefusals(1000, clock);
    const { port, accepted } = await holdingServer(held);
    const clients = Array.from({ length: 65 }, () => client(port));
    await until(() => accepted.length === 65);
    expect(accepted.filter((a) => a.held).length).toBe(64);
    expect(held.size).toBe(64);
    const other = await holdingServer(held, 'b');
    const b = client(other.port);
    await until(() => other.accepted.length === 1);
    expect(other.accepted[0]!.held).toBe(true);
    clock.increment(1000);
    const endings = await Promise.all([...clients, b].map((x) => x.ended));
    expect(endings.every((e) => e === 'ECONNRESET')).toBe(true);
    await until(() => held.size === 0);
  });

  test('a hold of 0 holds nothing', async () => {
    const held = new HeldRefusals(0, new SimulatedClock());
    const { port, accepted } = await holdingServer(held);
    const one = client(port);
    expect(await one.ended).toBe('ECONNRESET');
    expect(accepted[0]!.held).toBe(false);
  });
});

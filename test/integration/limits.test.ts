import type { SimDevice } from '@handoff/device-sim';
import { PROTOCOL_VERSION } from '@handoff/protocol';
import { signToken, type RunningHub } from '@handoff/server';
import { describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { startFleet } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';

async function open(hub: RunningHub, user: string) {
  const ws = new WebSocket(`${hub.wsUrl}?access_token=${await signToken(hub.secret, { userId: user, role: 'device' }, 60)}`);
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  return { ws, messages, closed };
}

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const start = Date.now(); !predicate(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
  }
}

const hello = (id: string) =>
  JSON.stringify({
    type: 'device.hello',
    protocolVersion: PROTOCOL_VERSION,
    device: { id, name: id, kind: 'phone', capabilities: { canPlay: true, volumeSteps: 10, mediaTypes: ['audio/track'], controllable: true } },
  });

describe('limits', () => {
  test('a flooding socket is told RATE_LIMITED once, then closed with 4029; other users carry on', async () => {
    await using hub = await startTestHub({ DEVICE_FRAME_RATE: '20', DEVICE_FRAME_BURST: '40' });
    await using fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    const flood = await open(hub, 'mallory');
    flood.ws.send(hello('m'));
    await until(() => flood.messages.some((m) => m.type === 'hub.welcome'));
    for (let i = 0; i < 200; i++) flood.ws.send('{"type":"clock.pong","pingId":1,"t0":1,"t1":1,"t2":1}');
    expect(await flood.closed).toBe(4029);
    expect(flood.messages.filter((m) => m.code === 'RATE_LIMITED')).toHaveLength(1);
    expect(await phone.command({ type: 'command.transfer', deviceId: speaker.id })).toMatchObject({ ok: true });
  });

  test("a user's commands beyond the budget are refused with RATE_LIMITED and never applied", async () => {
    // Refusals enough for all 30 answered: this is about the budget, not the command flood close (flood-close.test.ts).
    await using hub = await startTestHub({ USER_COMMAND_RATE: '5', USER_COMMAND_BURST: '10', COMMAND_REFUSALS_PER_FLOOD: '100' });
    await using fleet = await startFleet(hub, 'bob', ['phone', 'speaker']);
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
    const results = await Promise.all(Array.from({ length: 30 }, () => phone.command({ type: 'command.queue', uri: 'demo:track:kitchen-1' })));
    const applied = results.filter((r) => r.ok).length;
    expect(applied).toBeGreaterThanOrEqual(8);
    expect(applied).toBeLessThan(30);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.code === 'RATE_LIMITED')).toBe(true);
    await speaker.waitFor(() => speaker.revision >= phone.revision, 1000);
    const queued = (await hub.hub.cluster('bob')).playback.upNext.filter((t) => t.uri === 'demo:track:kitchen-1').length;
    expect(queued).toBe(Math.min(applied, 20));
  });

  test('connections beyond the per-address cap are closed with 4029', async () => {
    await using hub = await startTestHub({ MAX_CONNECTIONS_PER_ADDRESS: '3' });
    // One after another: four at once reach the hub in any order, and any one of them may be the fourth.
    const sockets = [];
    for (const i of [1, 2, 3, 4]) sockets.push(await open(hub, `u${i}`));
    expect(await sockets[3]!.closed).toBe(4029);
    for (const s of sockets.slice(0, 3)) expect(s.ws.readyState).toBe(WebSocket.OPEN);
    sockets[0]!.ws.close();
    await sockets[0]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    const again = await open(hub, 'u5');
    again.ws.send(hello('x'));
    await new Promise((r) => setTimeout(r, 100));
    expect(again.messages.some((m) => m.type === 'hub.welcome')).toBe(true);
    for (const s of [...sockets, again]) s.ws.close();
  });
});

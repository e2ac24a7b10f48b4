import { ErrorCode, PROTOCOL_VERSION } from '@handoff/protocol';
import type { SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { startFleet } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { signToken, type RunningHub } from '@handoff/server';

/** A raw socket to the hub that collects every message and the close code. */
async function rawSocket(hub: RunningHub, token: string | null) {
  const ws = new WebSocket(token ? `${hub.wsUrl}?access_token=${token}` : hub.wsUrl);
  const messages: Array<Record<string, unknown>> = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const next = async (type: string, timeoutMs = 2000) => {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      const i = messages.findIndex((m) => m.type === type);
      if (i >= 0) return messages.splice(i, 1)[0]!;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${type}`);
  };
  return { ws, messages, closed, next };
}

const hello = (id: string) =>
  JSON.stringify({
    type: 'device.hello',
    protocolVersion: PROTOCOL_VERSION,
    device: { id, name: id, kind: 'speaker', capabilities: { canPlay: true, volumeSteps: 10, mediaTypes: ['audio/track'], controllable: true } },
  });

describe('bad input', () => {
  test.each([
    ['not JSON', '{"type":', ErrorCode.BAD_JSON],
    ['an unknown type', '{"type":"device.selfdestruct"}', ErrorCode.UNKNOWN_TYPE],
    ['an array, not an object (refused before parsing)', '[1,2,3]', ErrorCode.BAD_JSON],
    ['no type at all', '{"x":1}', ErrorCode.UNKNOWN_TYPE],
    ['a command before hello', '{"type":"command.pause","commandId":"x"}', ErrorCode.NOT_READY],
    ['a hello with wrong field types', '{"type":"device.hello","protocolVersion":"one","device":{}}', ErrorCode.BAD_REQUEST],
  ])('%s before hello is answered with %s and the socket stays open', async (_what, frame, code) => {
    await using hub = await startTestHub();
    const s = await rawSocket(hub, await signToken(hub.secret, { userId: 'mallory', role: 'device' }, 60));
    s.ws.send(frame);
    expect(await s.next('error')).toMatchObject({ code });
    s.ws.send(hello('m-1'));
    expect(await s.next('hub.welcome')).toMatchObject({ deviceId: 'm-1' });
    s.ws.close();
  });

  test('bad frames after hello get error codes, healthy connections and other users carry on', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
    await speaker.waitFor(() => speaker.player.playing, 2000, 'playing');

    const s = await rawSocket(hub, await signToken(hub.secret, { userId: 'mallory', role: 'device' }, 60));
    s.ws.send(hello('m-1'));
    await s.next('hub.welcome');
    const frames = ['nope', '{"type":"command.seek","commandId":"s","positionMs":-5}', '{"type":"command.volume","commandId":"v","volumePercent":1e308}', '{"type":"x"}', Buffer.from([1, 2, 3])];
    for (const f of frames) s.ws.send(f);
    const errors: Array<Record<string, unknown>> = [];
    for (let i = 0; i < frames.length; i++) errors.push(await s.next('error'));
    expect(errors.map((e) => e.code)).toEqual(['BAD_JSON', 'BAD_REQUEST', 'BAD_REQUEST', 'UNKNOWN_TYPE', 'BAD_REQUEST']);
    // An invalid command is answered with its id, so a device following "no result: resend" stops resending.
    expect(errors.map((e) => e.commandId)).toEqual([undefined, 's', 'v', undefined, undefined]);
    expect(errors[1]?.message).toMatch(/^positionMs: /);
    // Mallory naming alice's device reaches nothing of alice's.
    s.ws.send(JSON.stringify({ type: 'command.transfer', commandId: 't', deviceId: speaker.id }));
    expect(await s.next('command.result')).toMatchObject({ ok: false, code: 'DEVICE_NOT_FOUND' });
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    expect(speaker.player.playing).toBe(true);
    expect(await phone.command({ type: 'command.pause' })).toMatchObject({ ok: true });
    s.ws.close();
  });

  test('a frame over the size limit closes that socket with 1009 only', async () => {
    await using hub = await startTestHub({ MAX_PAYLOAD_BYTES: '2048' });
    await using fleet = await startFleet(hub, 'alice', ['phone']);
    const s = await rawSocket(hub, await signToken(hub.secret, { userId: 'mallory', role: 'device' }, 60));
    s.ws.send('x'.repeat(4096));
    expect(await s.closed).toBe(1009);
    expect(await fleet.devices[0]!.command({ type: 'command.transfer', deviceId: fleet.devices[0]!.id })).toMatchObject({ ok: true });
  });

  test.each([
    ['no token', null, 4001],
    ['a forged token', 'forged', 4001],
    ['an expired token', 'expired', 4001],
    ['an admin token', 'admin', 4003],
  ])('a device socket with %s is closed with %i', async (_what, token, code) => {
    await using hub = await startTestHub();
    const t =
      token === 'expired'
        ? await signToken(hub.secret, { userId: 'alice', role: 'device' }, -10)
        : token === 'admin'
          ? await signToken(hub.secret, { userId: 'alice', role: 'admin' }, 60)
          : token === 'forged'
            ? await signToken('not-the-secret-at-all', { userId: 'alice', role: 'device' }, 60)
            : token;
    const s = await rawSocket(hub, t);
    expect(await s.closed).toBe(code);
  });

  test('an old protocol version is closed with CLIENT_TOO_OLD', async () => {
    await using hub = await startTestHub();
    const s = await rawSocket(hub, await signToken(hub.secret, { userId: 'old', role: 'device' }, 60));
    s.ws.send(hello('o-1').replace(`"protocolVersion":${PROTOCOL_VERSION}`, '"protocolVersion":0'));
    expect(await s.closed).toBe(4010);
  });
});

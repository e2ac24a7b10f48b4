import type { SimDevice } from '@handoff/device-sim';
import { signToken } from '@handoff/server';
import { describe, expect, test } from 'vitest';
import { startFleet } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { playOver, tokenFor, webApi } from '../helpers/web-api-client.ts';
import { WebApiDevices, WebApiError } from '../helpers/web-api-schemas.ts';

describe('HTTP player API: who may act on whom', () => {
  test('no token, a malformed, a forged and an expired token are 401 with the reference error body, for reads and commands', async () => {
    await using hub = await startTestHub();
    const tokens: Array<[string, string | null, RegExp]> = [
      ['no token', null, /missing bearer token/],
      ['malformed', 'not-a-token', /malformed token/],
      ['forged', await signToken('some-other-secret-0123456789', { userId: 'alice', role: 'admin' }, 600), /bad token signature/],
      ['expired', await tokenFor(hub, 'alice', 'viewer', -10), /token expired/],
    ];
    for (const [what, token, message] of tokens) {
      for (const res of [await webApi(hub, token).get('/v1/me/player'), await webApi(hub, token).put('/v1/me/player/pause')]) {
        expect(res.status, what).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(WebApiError.parse(res.body).error).toMatchObject({ status: 401, message: expect.stringMatching(message) });
      }
    }
  });

  test("a user reaches only their own devices: another user's device id is 404 and that device is untouched", async () => {
    await using hub = await startTestHub();
    await using _alice = await startFleet(hub, 'alice', ['phone']);
    await using bobs = await startFleet(hub, 'bob', ['speaker'], { id: 'bob-speaker' });
    const bobSpeaker = bobs.devices[0] as SimDevice;
    const alice = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(alice, 'phone-0');

    const { devices } = WebApiDevices.parse((await alice.get('/v1/me/player/devices')).body);
    expect(devices.map((d) => d.id)).toEqual(['phone-0']);
    for (const res of [
      await alice.put('/v1/me/player', { device_ids: ['bob-speaker'] }),
      await alice.put('/v1/me/player/play?device_id=bob-speaker', { context_uri: 'demo:album:kitchen-sessions' }),
      await alice.put('/v1/me/player/volume?volume_percent=99&device_id=bob-speaker'),
      await alice.put('/v1/me/player/pause?device_id=bob-speaker'),
    ]) {
      expect(res.status).toBe(404);
      expect(WebApiError.parse(res.body).error.message).toMatch(/no device bob-speaker/);
    }
    expect(bobSpeaker.player.truth).toHaveLength(0);
    expect(bobSpeaker.cluster?.devices[0]?.volume).not.toBe(99);
    expect((await webApi(hub, tokenFor(hub, 'bob')).get('/v1/me/player')).status).toBe(204);
  });

  test("device and viewer tokens both act as their own user", async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const asDevice = webApi(hub, tokenFor(hub, 'alice', 'device'));
    const asViewer = webApi(hub, tokenFor(hub, 'alice', 'viewer'));
    await playOver(asDevice, 'phone-0');
    expect((await asViewer.put('/v1/me/player/pause')).status).toBe(204);
    expect((await asDevice.get('/v1/me')).body).toMatchObject({ id: 'alice' });
    expect((await asDevice.get('/v1/me/player')).body).toMatchObject({ is_playing: false, device: { id: 'phone-0' } });
  });

  test('an admin token acts on the user named in X-Handoff-User, and as itself without one', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const admin = webApi(hub, tokenFor(hub, 'ops', 'admin'), { 'x-handoff-user': 'alice' });
    expect((await admin.get('/v1/me')).body).toMatchObject({ id: 'alice' });
    await playOver(admin, 'phone-0');
    expect((await admin.put('/v1/me/player/seek?position_ms=10000')).status).toBe(204);
    expect((await webApi(hub, tokenFor(hub, 'alice')).get('/v1/me/player')).body).toMatchObject({ device: { id: 'phone-0' }, is_playing: true });
    expect((await webApi(hub, tokenFor(hub, 'ops', 'admin')).get('/v1/me')).body).toMatchObject({ id: 'ops' });
    expect((await admin.get('/v1/me', { 'x-handoff-user': 'no spaces allowed' })).status).toBe(400);
  });

  test('a device or viewer token naming another user in X-Handoff-User is 403', async () => {
    await using hub = await startTestHub();
    for (const role of ['device', 'viewer'] as const) {
      const res = await webApi(hub, tokenFor(hub, 'mallory', role), { 'x-handoff-user': 'alice' }).get('/v1/me/player/devices');
      expect(res.status).toBe(403);
      expect(WebApiError.parse(res.body).error.message).toMatch(/only an admin token/);
    }
    expect((await webApi(hub, tokenFor(hub, 'alice'), { 'x-handoff-user': 'alice' }).get('/v1/me')).status).toBe(200);
  });

  test('requests over the per-user rate limit are 429 with Retry-After, and other users are not affected', async () => {
    await using hub = await startTestHub({ API_RATE_PER_SEC: '1', API_RATE_BURST: '3' });
    const alice = webApi(hub, tokenFor(hub, 'alice'));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await alice.get('/v1/me')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await alice.put('/v1/me/player/pause');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(WebApiError.parse(limited.body).error).toMatchObject({ status: 429, reason: 'RATE_LIMITED' });
    expect((await webApi(hub, tokenFor(hub, 'bob')).get('/v1/me')).status).toBe(200);
  });
});

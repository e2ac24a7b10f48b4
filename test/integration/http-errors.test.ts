import type { SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { startFleet } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { playOver, tokenFor, webApi, type ApiResponse } from '../helpers/web-api-client.ts';
import { WebApiError } from '../helpers/web-api-schemas.ts';

/** The reference error body with this status; returns it for further checks. */
function refused(res: ApiResponse, status: number): WebApiError['error'] {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const { error } = WebApiError.parse(res.body);
  expect(error.status).toBe(status);
  return error;
}

describe('HTTP player API: refusals', () => {
  test('bad arguments are 400 with a message naming what is wrong', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    const cases: Array<[string, Promise<ApiResponse>, RegExp]> = [
      ['two device ids', api.put('/v1/me/player', { device_ids: ['phone-0', 'speaker-1'] }), /only one device id/],
      ['no device ids', api.put('/v1/me/player', {}), /device_ids/],
      ['empty device ids', api.put('/v1/me/player', { device_ids: [] }), /device_ids/],
      ['a body that is not JSON', api.call('PUT', '/v1/me/player', { raw: '{"device_ids":' }), /not valid JSON/],
      ['seek without position', api.put('/v1/me/player/seek'), /position_ms is required/],
      ['seek to a negative position', api.put('/v1/me/player/seek?position_ms=-5'), /position_ms must be an integer/],
      ['volume above 100', api.put('/v1/me/player/volume?volume_percent=101'), /volume_percent must be at most 100/],
      ['shuffle maybe', api.put('/v1/me/player/shuffle?state=maybe'), /state must be true or false/],
      ['repeat all', api.put('/v1/me/player/repeat?state=all'), /state must be track, context or off/],
      ['queue without uri', api.post('/v1/me/player/queue'), /uri/],
      ['queue with a non-uri', api.post('/v1/me/player/queue?uri=hello%20world'), /uri/],
      ['both context_uri and uris', api.put('/v1/me/player/play', { context_uri: 'demo:album:night-drive', uris: ['demo:track:night-1'] }), /not both/],
      ['empty uris', api.put('/v1/me/player/play', { uris: [] }), /uris must not be empty/],
      ['negative position_ms', api.put('/v1/me/player/play', { position_ms: -1 }), /position_ms/],
      ['a bad offset', api.put('/v1/me/player/play', { uris: ['demo:track:night-1'], offset: { index: 2 } }), /offset/],
      ['an overlong Idempotency-Key', api.put('/v1/me/player/pause', undefined, { 'idempotency-key': 'k'.repeat(256) }), /Idempotency-Key/],
    ];
    for (const [what, pending, message] of cases) {
      const error = refused(await pending, 400);
      expect(error.message, what).toMatch(message);
    }
    // Nothing refused changed anything.
    expect((await api.get('/v1/me/player')).body).toMatchObject({ is_playing: true, device: { id: 'phone-0' } });
  });

  test('a command while no device is active is 404 with reason NO_ACTIVE_DEVICE', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    for (const res of [await api.put('/v1/me/player/pause'), await api.post('/v1/me/player/next'), await api.put('/v1/me/player/volume?volume_percent=20')]) {
      expect(refused(res, 404).reason).toBe('NO_ACTIVE_DEVICE');
    }
  });

  test('a transfer to an unknown or malformed device id is 404', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    expect(refused(await api.put('/v1/me/player', { device_ids: ['kitchen'] }), 404).message).toMatch(/no device kitchen/);
    refused(await api.put('/v1/me/player', { device_ids: ['not a device id!'] }), 404);
    refused(await api.put('/v1/me/player/play?device_id=kitchen', { context_uri: 'demo:album:night-drive' }), 404);
  });

  test('a device_id naming a device that is not the active one is 404 for commands on what plays', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    expect(refused(await api.put('/v1/me/player/pause?device_id=speaker-1'), 404).reason).toBe('NO_ACTIVE_DEVICE');
    expect(refused(await api.put('/v1/me/player/seek?position_ms=100&device_id=ghost'), 404).message).toMatch(/no device ghost/);
    expect((await api.put('/v1/me/player/pause?device_id=phone-0')).status).toBe(204);
  });

  test('volume on a device without volume control is 403 with reason VOLUME_CONTROL_DISALLOW', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone', 'car'], (i) => (i === 1 ? { capabilities: { volumeSteps: 0 } } : {}));
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'car-1');
    const error = refused(await api.put('/v1/me/player/volume?volume_percent=30'), 403);
    expect(error).toMatchObject({ reason: 'VOLUME_CONTROL_DISALLOW', message: expect.stringMatching(/no volume control/) });
    refused(await api.put('/v1/me/player/volume?volume_percent=30&device_id=car-1'), 403);
  });

  test('commands to an active device that accepts no remote commands are 403', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone', 'tv'], (i) => (i === 1 ? { capabilities: { controllable: false } } : {}));
    const api = webApi(hub, tokenFor(hub, 'alice'));
    expect((await api.put('/v1/me/player', { device_ids: ['tv-1'] })).status).toBe(204);
    expect(refused(await api.put('/v1/me/player/play', { context_uri: 'demo:album:night-drive' }), 403).message).toMatch(/does not accept remote commands/);
    expect((await api.get('/v1/me/player/devices')).body).toMatchObject({ devices: expect.arrayContaining([expect.objectContaining({ id: 'tv-1', is_restricted: true })]) });
  });

  test('a method the path does not have is 405', async () => {
    await using hub = await startTestHub();
    refused(await webApi(hub, tokenFor(hub, 'alice')).get('/v1/me/player/pause'), 405);
  });
});

describe('HTTP player API: transfer outcomes the reference cannot report', () => {
  const playing = async (hub: Awaited<ReturnType<typeof startTestHub>>, user: string, opts: Parameters<typeof startFleet>[3]) => {
    const fleet = await startFleet(hub, user, ['phone', 'speaker', 'tv'], opts);
    const api = webApi(hub, tokenFor(hub, user));
    await playOver(api, 'phone-0');
    const phone = fleet.devices[0] as SimDevice;
    await phone.waitFor(() => phone.player.playing, 2000, 'phone playing');
    return { fleet, api, phone };
  };

  test('a target that cannot load is 502 TRANSFER_FAILED and the source keeps playing', async () => {
    await using hub = await startTestHub();
    const { fleet, api, phone } = await playing(hub, 'alice', (i) => ({ failLoad: i === 1 }));
    await using _fleet = fleet;
    const error = refused(await api.put('/v1/me/player', { device_ids: ['speaker-1'] }), 502);
    expect(error).toMatchObject({ message: expect.stringMatching(/load failed/) });
    expect(phone.player.playing).toBe(true);
    expect(phone.truth.filter((a) => a.type === 'stop')).toHaveLength(0);
    expect((await api.get('/v1/me/player')).body).toMatchObject({ device: { id: 'phone-0' }, is_playing: true });
  });

  test('a target slower than the prepare deadline is 504 TRANSFER_TIMEOUT and the source keeps playing', async () => {
    await using hub = await startTestHub({ PREPARE_TIMEOUT_MS: '300' });
    const { fleet, api, phone } = await playing(hub, 'alice', (i) => ({ loadDelayMs: i === 1 ? 1000 : 0 }));
    await using _fleet = fleet;
    const started = performance.now();
    refused(await api.put('/v1/me/player', { device_ids: ['speaker-1'] }), 504);
    expect(performance.now() - started).toBeLessThan(900);
    expect(phone.player.playing).toBe(true);
    expect(phone.truth.filter((a) => a.type === 'stop')).toHaveLength(0);
  });

  test('a transfer superseded by a newer one is 409 SUPERSEDED, and the newer one commits', async () => {
    await using hub = await startTestHub();
    const { fleet, api } = await playing(hub, 'alice', (i) => ({ loadDelayMs: i === 1 ? 1000 : 0 }));
    await using _fleet = fleet;
    const first = api.put('/v1/me/player', { device_ids: ['speaker-1'] });
    await fleet.devices[0]!.waitFor(() => hub.hub.trace.read('alice').some((e) => e.type === 'prepare' && e.deviceId === 'speaker-1'), 2000, 'prepare sent');
    const second = await api.put('/v1/me/player', { device_ids: ['tv-2'] });
    expect(second.status).toBe(204);
    expect(refused(await first, 409).message).toMatch(/superseded/);
    expect((await api.get('/v1/me/player')).body).toMatchObject({ device: { id: 'tv-2' } });
  });
});

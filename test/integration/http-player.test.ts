import type { SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { startFleet } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { playOver, tokenFor, webApi, type WebApi } from '../helpers/web-api-client.ts';
import {
  WebApiCurrentlyPlaying,
  WebApiDevices,
  WebApiEpisode,
  WebApiPlaybackState,
  WebApiQueue,
  WebApiTrack,
  WebApiUser,
} from '../helpers/web-api-schemas.ts';

const state = async (api: WebApi, query = '') => {
  const res = await api.get(`/v1/me/player${query}`);
  expect(res.status).toBe(200);
  return WebApiPlaybackState.parse(res.body);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('HTTP player API: reads', () => {
  test('GET /v1/me names the user the token acts as', async () => {
    await using hub = await startTestHub();
    const res = await webApi(hub, tokenFor(hub, 'alice')).get('/v1/me');
    expect(res.status).toBe(200);
    expect(WebApiUser.parse(res.body)).toMatchObject({ id: 'alice', display_name: 'alice', type: 'user' });
  });

  test('GET /v1/me/player and /currently-playing answer 204 with no body while no device is active', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    for (const path of ['/v1/me/player', '/v1/me/player/currently-playing']) {
      const res = await api.get(path);
      expect(res.status).toBe(204);
      expect(res.body).toBeNull();
    }
  });

  test('GET /v1/me/player/devices lists the online devices with the reference types, volumes and restrictions', async () => {
    await using hub = await startTestHub();
    const caps = [{}, { volumeSteps: 0 }, {}, { controllable: false }, {}];
    await using fleet = await startFleet(hub, 'alice', ['phone', 'speaker', 'tv', 'car', 'computer'], (i) => ({ volume: 40 + i, capabilities: caps[i]! }));
    const res = await webApi(hub, tokenFor(hub, 'alice')).get('/v1/me/player/devices');
    expect(res.status).toBe(200);
    const { devices } = WebApiDevices.parse(res.body);
    const byId = (id: string) => devices.find((d) => d.id === id);
    expect(devices).toHaveLength(fleet.devices.length);
    expect(byId('phone-0')).toEqual({
      id: 'phone-0', is_active: false, is_private_session: false, is_restricted: false,
      name: expect.any(String), type: 'Smartphone', volume_percent: 40, supports_volume: true,
    });
    expect(byId('speaker-1')).toMatchObject({ type: 'Speaker', supports_volume: false, volume_percent: null });
    expect(byId('tv-2')).toMatchObject({ type: 'TV', volume_percent: 42 });
    expect(byId('car-3')).toMatchObject({ type: 'Automobile', is_restricted: true });
    expect(byId('computer-4')).toMatchObject({ type: 'Computer', is_restricted: false });
  });

  test('a demo context plays with item, context, progress and actions in the reference shapes', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'speaker-1');
    await sleep(100);

    const s = await state(api);
    expect(s.device).toMatchObject({ id: 'speaker-1', is_active: true, type: 'Speaker' });
    expect(s).toMatchObject({ is_playing: true, shuffle_state: false, repeat_state: 'off', currently_playing_type: 'track' });
    expect(s.context).toMatchObject({ type: 'album', uri: 'demo:album:night-drive' });
    const item = WebApiTrack.parse(s.item);
    expect(item).toMatchObject({ uri: 'demo:track:night-1', name: 'Cold Start', duration_ms: 42_000, track_number: 1 });
    expect(item.artists[0]!.name).toBe('The Handoffs');
    expect(item.album).toMatchObject({ name: 'Night Drive', uri: 'demo:album:night-drive', total_tracks: 5 });
    expect(s.progress_ms).toBeGreaterThanOrEqual(50);
    expect(s.progress_ms).toBeLessThan(2000);
    expect(s.actions.disallows).toEqual({ resuming: true });

    const now = await api.get('/v1/me/player/currently-playing');
    expect(now.status).toBe(200);
    expect(WebApiCurrentlyPlaying.parse(now.body)).toMatchObject({ is_playing: true, item: { uri: 'demo:track:night-1' } });
    expect(now.body).not.toHaveProperty('device');

    const queue = await api.get('/v1/me/player/queue');
    expect(queue.status).toBe(200);
    const q = WebApiQueue.parse(queue.body);
    expect(q.currently_playing?.uri).toBe('demo:track:night-1');
    expect(q.queue.map((t) => t.uri)).toEqual(['demo:track:night-2', 'demo:track:night-3', 'demo:track:night-4', 'demo:track:night-5']);
  });

  test('play with uris starts at the offset, and an unknown uri keeps its uri with placeholder metadata lasting three minutes', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0', { uris: ['demo:track:kitchen-1', 'spotify:track:4uLU6hMCjMI75M1A2tKUQC'], offset: { uri: 'spotify:track:4uLU6hMCjMI75M1A2tKUQC' } });
    const s = await state(api);
    expect(s.context).toBeNull();
    expect(WebApiTrack.parse(s.item)).toMatchObject({ uri: 'spotify:track:4uLU6hMCjMI75M1A2tKUQC', id: '4uLU6hMCjMI75M1A2tKUQC', duration_ms: 180_000 });

    expect((await api.put('/v1/me/player/play', { uris: ['demo:track:kitchen-1', 'demo:track:kitchen-2'], offset: { position: 1 }, position_ms: 5000 })).status).toBe(204);
    const again = await state(api);
    expect(again.item?.uri).toBe('demo:track:kitchen-2');
    expect(again.progress_ms).toBeGreaterThanOrEqual(5000);
  });

  test('an episode is item null unless the client asks with additional_types=episode', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0', { uris: ['spotify:episode:512ojhOuo1ktJprKbVcKyQ'] });
    expect(await state(api)).toMatchObject({ item: null, currently_playing_type: 'episode', is_playing: true });
    const asked = await state(api, '?additional_types=track,episode');
    expect(WebApiEpisode.parse(asked.item)).toMatchObject({ uri: 'spotify:episode:512ojhOuo1ktJprKbVcKyQ', type: 'episode' });
  });
});

describe('HTTP player API: commands answer 204 once committed, so a read right after sees them', () => {
  test('PUT /v1/me/player transfers to the named device', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    const res = await api.put('/v1/me/player', { device_ids: ['speaker-1'], play: true });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect((await state(api)).device).toMatchObject({ id: 'speaker-1', is_active: true });
  });

  test('pause, then play with an empty JSON body, pause and resume where it was', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    expect((await api.call('PUT', '/v1/me/player/pause', { raw: '' })).status).toBe(204);
    const paused = await state(api);
    expect(paused.is_playing).toBe(false);
    expect(paused.actions.disallows.pausing).toBe(true);
    await sleep(150);
    expect((await state(api)).progress_ms).toBe(paused.progress_ms);
    expect((await api.call('PUT', '/v1/me/player/play', { raw: '' })).status).toBe(204);
    const resumed = await state(api);
    expect(resumed.is_playing).toBe(true);
    expect(resumed.item?.uri).toBe(paused.item?.uri);
    expect(resumed.progress_ms! - paused.progress_ms!).toBeLessThan(100);
  });

  test('seek moves progress_ms to the position asked', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    expect((await api.put('/v1/me/player/seek?position_ms=20000')).status).toBe(204);
    const s = await state(api);
    expect(s.progress_ms).toBeGreaterThanOrEqual(20_000);
    expect(s.progress_ms).toBeLessThan(20_500);
  });

  test('next moves on, and previous returns to the track played before, also with shuffle on', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0', { context_uri: 'demo:playlist:everything' });
    expect((await api.put('/v1/me/player/shuffle?state=true')).status).toBe(204);
    const played: string[] = [(await state(api)).item!.uri];
    for (let i = 0; i < 3; i++) {
      expect((await api.post('/v1/me/player/next')).status).toBe(204);
      played.push((await state(api)).item!.uri);
    }
    expect(new Set(played).size).toBe(4);
    expect((await api.post('/v1/me/player/previous')).status).toBe(204);
    expect((await state(api)).item?.uri).toBe(played[2]);
    expect((await api.post('/v1/me/player/previous')).status).toBe(204);
    expect((await state(api)).item?.uri).toBe(played[1]);
  });

  test('volume_percent reports the value set, on the active device or the one device_id names', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    expect((await api.put('/v1/me/player/volume?volume_percent=35')).status).toBe(204);
    expect((await api.put('/v1/me/player/volume?volume_percent=7&device_id=speaker-1')).status).toBe(204);
    expect((await state(api)).device.volume_percent).toBe(35);
    const { devices } = WebApiDevices.parse((await api.get('/v1/me/player/devices')).body);
    expect(devices.find((d) => d.id === 'speaker-1')?.volume_percent).toBe(7);
  });

  test('shuffle and repeat set shuffle_state and repeat_state', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    expect((await api.put('/v1/me/player/shuffle?state=true')).status).toBe(204);
    expect((await api.put('/v1/me/player/repeat?state=track')).status).toBe(204);
    expect(await state(api)).toMatchObject({ shuffle_state: true, repeat_state: 'track' });
    expect((await api.put('/v1/me/player/repeat?state=context')).status).toBe(204);
    expect((await api.put('/v1/me/player/shuffle?state=false')).status).toBe(204);
    expect(await state(api)).toMatchObject({ shuffle_state: false, repeat_state: 'context' });
  });

  test('POST /queue puts the track next, before the rest of the context', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    expect((await api.post('/v1/me/player/queue?uri=demo:track:kitchen-3')).status).toBe(204);
    const q = WebApiQueue.parse((await api.get('/v1/me/player/queue')).body);
    expect(q.queue.map((t) => t.uri).slice(0, 2)).toEqual(['demo:track:kitchen-3', 'demo:track:night-2']);
  });
});

describe('HTTP player API: transport', () => {
  test('every response carries X-Correlation-Id, and a command is found in the trace by it, with its HTTP origin', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'alice', ['phone']);
    const [phone] = fleet.devices as [SimDevice];
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, phone.id);
    const read = await api.get('/v1/me/player');
    const refused = await webApi(hub, null).get('/v1/me/player');
    const pause = await api.put('/v1/me/player/pause');
    for (const res of [read, refused, pause]) expect(res.headers.get('x-correlation-id')).toMatch(/^[\w-]{8,}$/);
    expect(new Set([read, refused, pause].map((r) => r.headers.get('x-correlation-id'))).size).toBe(3);

    const id = pause.headers.get('x-correlation-id')!;
    const events = hub.hub.trace.read('alice').filter((e) => e.correlationId === id);
    expect(events.find((e) => e.kind === 'message.in')).toMatchObject({ type: 'command.pause', payload: { commandId: id, origin: 'http/viewer/alice' } });
    expect(events.find((e) => e.kind === 'command.result')).toMatchObject({ type: 'ok' });
  });

  test('a CORS preflight is answered, and every response allows any origin and exposes the correlation id', async () => {
    await using hub = await startTestHub();
    const preflight = await fetch(`${hub.url}/v1/me/player/play`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,content-type,idempotency-key');

    for (const res of [await webApi(hub, tokenFor(hub, 'alice')).get('/v1/me'), await webApi(hub, null).get('/v1/me')]) {
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-expose-headers')).toContain('X-Correlation-Id');
    }
  });
});

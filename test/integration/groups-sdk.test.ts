import type { SimDevice } from '@handoff/device-sim';
import { SpotifyApi } from '@spotify/web-api-ts-sdk';
import { afterAll, describe, expect, test } from 'vitest';
import { startFleet, synced } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { tokenFor, webApi } from '../helpers/web-api-client.ts';

// The SDK's base URL is a static field its typings mark private; there is no public option for it.
const base = SpotifyApi as unknown as { rootUrl: string };
const ROOT = base.rootUrl;
afterAll(() => {
  base.rootUrl = ROOT;
});

describe('the official Spotify Web API TypeScript SDK', () => {
  test('with only its base URL changed, it lists a group as a device and transfers playback to it', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'kim', ['phone', 'speaker', 'speaker']);
    const [phone, a, b] = fleet.devices as [SimDevice, SimDevice, SimDevice];
    await synced(fleet.devices);
    const token = await tokenFor(hub, 'kim');
    // Creating the group is this hub's extension; the SDK then uses it as any device.
    const created = await webApi(hub, token).post('/v1/me/player/groups', { name: 'Kitchen + Den', device_ids: [a.id, b.id] });
    const groupId = (created.body as { id: string }).id;

    base.rootUrl = `${hub.url}/v1/`;
    const sdk = SpotifyApi.withAccessToken('handoff-test', { access_token: token, token_type: 'Bearer', expires_in: 600, refresh_token: '' });
    await sdk.player.transferPlayback([phone.id], false);
    await sdk.player.startResumePlayback(phone.id, 'demo:album:night-drive');
    await phone.waitFor(() => phone.player.playing, 3000, 'phone playing');

    const { devices } = await sdk.player.getAvailableDevices();
    expect(devices.find((d) => d.id === groupId)).toMatchObject({ name: 'Kitchen + Den', type: 'Speaker', is_active: false, supports_volume: true });

    await sdk.player.transferPlayback([groupId], true);
    const state = await sdk.player.getPlaybackState();
    expect(state.device).toMatchObject({ id: groupId, name: 'Kitchen + Den', is_active: true });
    expect(state.is_playing).toBe(true);
    await a.waitFor(() => a.player.playing && b.player.playing && !phone.player.playing, 3000, 'the group plays, the phone is silent');
  });
});

import { measureHandoffs, type SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { startFleet, synced } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { tokenFor, webApi } from '../helpers/web-api-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('HTTP control end to end, observed on what the devices really played', () => {
  test('play, transfer, pause, seek and volume over HTTP happen on the devices, and 204 means done', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'erin', ['phone', 'speaker']);
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await synced(fleet.devices);
    const api = webApi(hub, tokenFor(hub, 'erin'));
    const volumeSeenBy = (d: SimDevice) => d.cluster?.devices.find((x) => x.id === speaker.id)?.volume;

    // Play on the phone: a 204 means the phone is audible now.
    expect((await api.put(`/v1/me/player/play?device_id=${phone.id}`, { context_uri: 'demo:album:night-drive' })).status).toBe(204);
    expect(phone.player.playing).toBe(true);
    expect(phone.player.track?.uri).toBe('demo:track:night-1');
    await sleep(300);

    // Transfer: a 204 means the speaker is audible and the phone silent, with no gap and the position kept.
    expect((await api.put('/v1/me/player', { device_ids: [speaker.id] })).status).toBe(204);
    expect(speaker.player.playing).toBe(true);
    expect(phone.player.playing).toBe(false);
    const [handoff] = measureHandoffs([phone.truth, speaker.truth]);
    expect(Math.abs(handoff!.gapMs)).toBeLessThan(30);
    expect(Math.abs(handoff!.positionErrorMs)).toBeLessThan(30);
    expect(speaker.player.positionMs()).toBeGreaterThan(250);

    // Pause: the speaker goes silent, and stays where it stopped.
    expect((await api.put('/v1/me/player/pause')).status).toBe(204);
    await speaker.waitFor(() => !speaker.player.playing, 1000, 'speaker silent');
    expect(phone.player.playing).toBe(false);

    // Seek while paused, then resume: the speaker starts at the position asked.
    expect((await api.put('/v1/me/player/seek?position_ms=20000')).status).toBe(204);
    expect((await api.call('PUT', '/v1/me/player/play', { raw: '' })).status).toBe(204);
    await speaker.waitFor(() => speaker.player.playing, 1000, 'speaker playing again');
    const resumed = speaker.truth.at(-1)!;
    expect(resumed).toMatchObject({ type: 'start', trackUri: 'demo:track:night-1' });
    expect(resumed.positionMs).toBeGreaterThanOrEqual(20_000);
    expect(resumed.positionMs).toBeLessThan(20_100);

    // Seek while playing: the speaker jumps there.
    expect((await api.put('/v1/me/player/seek?position_ms=5000')).status).toBe(204);
    await speaker.waitFor(() => Math.abs(speaker.player.positionMs() - 5000) < 150, 1000, 'speaker at 5 s');

    // Volume: every device of the user is told the speaker's new volume.
    expect((await api.put('/v1/me/player/volume?volume_percent=30')).status).toBe(204);
    await speaker.waitFor(() => volumeSeenBy(speaker) === 30, 1000, 'speaker told its volume');
    await phone.waitFor(() => volumeSeenBy(phone) === 30, 1000, 'phone told the speaker volume');

    expect(fleet.devices.filter((d) => d.player.playing)).toEqual([speaker]);
  });
});

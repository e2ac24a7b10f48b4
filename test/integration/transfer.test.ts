import { measureHandoffs } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { startFleet, synced } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';

describe('transfer', () => {
  test('moves playback from phone to speaker with no audible gap and the position kept', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const [phone, speaker] = fleet.devices as [typeof fleet.devices[0], typeof fleet.devices[0]];
    await synced(fleet.devices);
    expect(await phone.command({ type: 'command.transfer', deviceId: phone.id })).toMatchObject({ ok: true });
    expect(await phone.command({ type: 'command.play', contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    await phone.waitFor(() => phone.player.playing, 2000, 'phone playing');
    await new Promise((r) => setTimeout(r, 300));

    const result = await phone.command({ type: 'command.transfer', deviceId: speaker.id });
    expect(result).toMatchObject({ ok: true });
    await speaker.waitFor(() => speaker.cluster?.activeDeviceId === speaker.id, 2000, 'speaker active');
    expect(speaker.player.playing).toBe(true);
    expect(phone.player.playing).toBe(false);
    const [handoff] = measureHandoffs([phone.truth, speaker.truth]);
    expect(handoff).toBeDefined();
    expect(Math.abs(handoff!.gapMs)).toBeLessThan(30);
    expect(Math.abs(handoff!.positionErrorMs)).toBeLessThan(30);
  });
});

import type { SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { startFleet } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('presence over real sockets', () => {
  test('an active device that reconnects within the grace period keeps its role and never stops playing', async () => {
    await using hub = await startTestHub({ GRACE_MS: '3000' });
    await using fleet = await startFleet(hub, 'bob', ['phone', 'speaker'], { maxBackoffMs: 200 });
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' });
    await phone.waitFor(() => phone.player.playing, 2000, 'playing');
    await speaker.waitFor(() => speaker.cluster?.activeDeviceId === phone.id, 2000, 'push seen');
    const revision = speaker.revision;

    phone.drop();
    await phone.waitFor(() => phone.connects === 2, 3000, 'reconnected');
    await sleep(100);
    expect(phone.cluster?.activeDeviceId).toBe(phone.id);
    expect(phone.player.playing).toBe(true);
    expect(phone.truth.filter((a) => a.type === 'stop')).toHaveLength(0);
    // Nobody else was told anything changed.
    expect(speaker.revision).toBe(revision);
  });

  test('a device gone past the grace period is pushed as offline to every device', async () => {
    await using hub = await startTestHub({ GRACE_MS: '300' });
    await using fleet = await startFleet(hub, 'carol', ['phone', 'speaker', 'tv']);
    const [phone, speaker, tv] = fleet.devices as [SimDevice, SimDevice, SimDevice];
    await speaker.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
    speaker.vanish();
    for (const d of [phone, tv]) {
      await d.waitFor(() => d.cluster?.devices.find((x) => x.id === speaker.id)?.online === false, 3000, 'offline pushed');
      expect(d.cluster?.activeDeviceId).toBeNull();
    }
  });
});

describe('the queue over real sockets', () => {
  test('when the playing track ends, the hub advances and the device plays the next track', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'erin', ['speaker', 'phone']);
    const [speaker, phone] = fleet.devices as [SimDevice, SimDevice];
    await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:night-drive' });
    await phone.command({ type: 'command.seek', positionMs: 42_000 - 300 });
    await speaker.waitFor(() => speaker.player.track?.uri === 'demo:track:night-2', 3000, 'next track');
    await phone.waitFor(() => phone.cluster?.playback.track?.uri === 'demo:track:night-2', 2000, 'pushed to others');
    expect(speaker.player.positionMs()).toBeLessThan(1000);
  });
});

describe('hub restart', () => {
  test('a restarted hub rebuilds the session from the device that was playing', async () => {
    const first = await startTestHub();
    const port = first.port;
    await using fleet = await startFleet(first, 'frank', ['phone', 'speaker'], { maxBackoffMs: 300 });
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:kitchen-sessions' });
    await speaker.waitFor(() => speaker.player.playing, 3000, 'playing');
    const revision = speaker.revision;
    await first.close();

    await using second = await startTestHub({ PORT: String(port) });
    await phone.waitFor(() => phone.connects >= 2, 8000, 'phone reconnected');
    await speaker.waitFor(() => speaker.connects >= 2, 8000, 'speaker reconnected');
    const cluster = await second.hub.cluster('frank');
    expect(cluster.activeDeviceId).toBe(speaker.id);
    expect(cluster.playback.track?.uri).toBe('demo:track:kitchen-1');
    expect(cluster.revision).toBeGreaterThanOrEqual(revision);
    expect(speaker.truth.filter((a) => a.type === 'stop')).toHaveLength(0);
    // Control still works after the rebuild.
    expect(await phone.command({ type: 'command.pause' })).toMatchObject({ ok: true });
    await speaker.waitFor(() => !speaker.player.playing, 2000, 'paused');
  });

  test('a restarted hub keeps paused playback: the device that was active is again, paused where it was', async () => {
    const first = await startTestHub();
    const port = first.port;
    await using fleet = await startFleet(first, 'grace', ['phone', 'speaker'], { maxBackoffMs: 300 });
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await phone.command({ type: 'command.play', deviceId: speaker.id, contextUri: 'demo:album:kitchen-sessions' });
    await speaker.waitFor(() => speaker.player.playing, 3000, 'playing');
    await phone.command({ type: 'command.pause' });
    await speaker.waitFor(() => !speaker.player.playing, 2000, 'paused');
    const pausedAt = (await first.hub.cluster('grace')).playback.position.positionMs;
    await first.close();

    await using second = await startTestHub({ PORT: String(port) });
    await phone.waitFor(() => phone.connects >= 2, 8000, 'phone reconnected');
    await speaker.waitFor(() => speaker.connects >= 2, 8000, 'speaker reconnected');
    const cluster = await second.hub.cluster('grace');
    expect(cluster.activeDeviceId).toBe(speaker.id);
    expect(cluster.playback.track?.uri).toBe('demo:track:kitchen-1');
    expect(cluster.playback.position).toMatchObject({ positionMs: pausedAt, rate: 0 });
    expect(await phone.command({ type: 'command.resume' })).toMatchObject({ ok: true });
    await speaker.waitFor(() => speaker.player.playing, 2000, 'playing again');
  });
});

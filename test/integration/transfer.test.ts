import { measureHandoffs, type SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { startFleet, synced } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start the night-drive album on `device` and let it play a little. */
async function playOn(device: SimDevice): Promise<void> {
  expect(await device.command({ type: 'command.play', deviceId: device.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
  await device.waitFor(() => device.player.playing, 3000, 'playing');
  await sleep(200);
}

/** Ever two devices audible at once, beyond `windowMs` around a switch? Checks ground truth. */
function overlapMs(devices: SimDevice[]): number {
  const intervals = devices.flatMap((d) => {
    const out: Array<[number, number]> = [];
    let start: number | null = null;
    for (const a of d.truth) {
      if (a.type === 'start') start = a.trueTime;
      else if (start !== null) {
        out.push([start, a.trueTime]);
        start = null;
      }
    }
    if (start !== null) out.push([start, performance.timeOrigin + performance.now()]);
    return out.map(([s, e]) => ({ s, e, id: d.id }));
  });
  let worst = 0;
  for (const a of intervals) for (const b of intervals) if (a.id < b.id) worst = Math.max(worst, Math.min(a.e, b.e) - Math.max(a.s, b.s));
  return worst;
}

describe('transfer over real sockets', () => {
  test('moves playback from phone to speaker with no audible gap and the position kept', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await synced(fleet.devices);
    await playOn(phone);

    expect(await phone.command({ type: 'command.transfer', deviceId: speaker.id })).toMatchObject({ ok: true });
    await speaker.waitFor(() => speaker.cluster?.activeDeviceId === speaker.id, 2000, 'speaker active');
    expect(speaker.player.playing).toBe(true);
    expect(phone.player.playing).toBe(false);
    const [handoff] = measureHandoffs([phone.truth, speaker.truth]);
    expect(Math.abs(handoff!.gapMs)).toBeLessThan(30);
    expect(Math.abs(handoff!.positionErrorMs)).toBeLessThan(30);
  });

  test('clocks skewed by up to 2 s and 0-20 ms of jitter still switch cleanly', async () => {
    await using hub = await startTestHub();
    const skews = [2000, -2000, 1300, -700];
    await using fleet = await startFleet(hub, 'skewed', ['phone', 'speaker', 'tv', 'car'], (i) => ({ skewMs: skews[i]!, jitterMs: 20 }));
    const devices = fleet.devices;
    await synced(devices);
    await playOn(devices[0]!);
    for (let i = 1; i <= 6; i++) {
      const target = devices[i % devices.length]!;
      expect(await devices[0]!.command({ type: 'command.transfer', deviceId: target.id })).toMatchObject({ ok: true });
      await sleep(100);
    }
    const handoffs = measureHandoffs(devices.map((d) => d.truth));
    expect(handoffs).toHaveLength(6);
    for (const h of handoffs) {
      expect(Math.abs(h.gapMs)).toBeLessThan(40);
      expect(Math.abs(h.positionErrorMs)).toBeLessThan(40);
    }
    expect(devices.filter((d) => d.player.playing)).toHaveLength(1);
  });

  test('a target slower than the prepare deadline is rolled back and the source keeps playing', async () => {
    await using hub = await startTestHub({ PREPARE_TIMEOUT_MS: '300' });
    await using fleet = await startFleet(hub, 'slow', ['phone', 'speaker'], (i) => ({ loadDelayMs: i === 1 ? 1500 : 0 }));
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await playOn(phone);
    const stopsBefore = phone.truth.filter((a) => a.type === 'stop').length;

    const result = await phone.command({ type: 'command.transfer', deviceId: speaker.id });
    expect(result).toMatchObject({ ok: false, code: 'TRANSFER_TIMEOUT' });
    await sleep(1600);
    expect(phone.player.playing).toBe(true);
    expect(phone.truth.filter((a) => a.type === 'stop')).toHaveLength(stopsBefore);
    expect(speaker.player.playing).toBe(false);
    expect(phone.cluster?.activeDeviceId).toBe(phone.id);
  });

  test('a target that cannot load fails the transfer with TRANSFER_FAILED and nothing moves', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'broken', ['phone', 'speaker'], (i) => ({ failLoad: i === 1 }));
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await playOn(phone);
    expect(await phone.command({ type: 'command.transfer', deviceId: speaker.id })).toMatchObject({ ok: false, code: 'TRANSFER_FAILED' });
    expect(phone.player.playing).toBe(true);
  });

  test('two transfers racing from two controllers end with exactly one device playing', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'race', ['phone', 'speaker', 'tv', 'computer'], { loadDelayMs: 80 });
    const [phone, speaker, tv, computer] = fleet.devices as [SimDevice, SimDevice, SimDevice, SimDevice];
    await synced(fleet.devices);
    await playOn(phone);
    const results = await Promise.all([
      phone.command({ type: 'command.transfer', deviceId: speaker.id }),
      computer.command({ type: 'command.transfer', deviceId: tv.id }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.code)).toEqual(['SUPERSEDED']);
    await sleep(300);
    const playing = fleet.devices.filter((d) => d.player.playing);
    expect(playing).toHaveLength(1);
    expect(playing[0]!.id).toBe(phone.cluster?.activeDeviceId);
    expect(overlapMs(fleet.devices)).toBeLessThan(20);
  });

  test('transfer to an offline device is refused with DEVICE_OFFLINE', async () => {
    await using hub = await startTestHub({ GRACE_MS: '200' });
    await using fleet = await startFleet(hub, 'gone', ['phone', 'speaker']);
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await playOn(phone);
    speaker.vanish();
    await phone.waitFor(() => phone.cluster?.devices.find((d) => d.id === speaker.id)?.online === false, 3000, 'speaker offline');
    expect(await phone.command({ type: 'command.transfer', deviceId: speaker.id })).toMatchObject({ ok: false, code: 'DEVICE_OFFLINE' });
  });

  test('transfer to a device that cannot play is refused with RESTRICTED', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'remote', ['phone', 'computer'], (i) => (i === 1 ? { capabilities: { canPlay: false } } : {}));
    const [phone, remote] = fleet.devices as [SimDevice, SimDevice];
    await playOn(phone);
    expect(await phone.command({ type: 'command.transfer', deviceId: remote.id })).toMatchObject({ ok: false, code: 'RESTRICTED' });
  });

  test('a duplicated command id is applied once', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'dup', ['phone', 'speaker']);
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await playOn(phone);
    const first = await phone.command({ type: 'command.queue', uri: 'demo:track:kitchen-3', commandId: 'q-1' });
    const again = await phone.command({ type: 'command.queue', uri: 'demo:track:kitchen-3', commandId: 'q-1' });
    expect(again).toEqual(first);
    await sleep(50);
    expect(speaker.cluster?.playback.upNext.filter((t) => t.uri === 'demo:track:kitchen-3')).toHaveLength(1);
  });
});

import type { SimDevice } from '@handoff/device-sim';
import { trueNow } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { startFleet, synced } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SimDevice clock drift', () => {
  test('a device with driftPpm runs its clock and its sound fast against true time, and its ground truth says by how much', async () => {
    await using hub = await startTestHub();
    // 5% is far beyond a real crystal (tens of ppm): a sped-up drift, so a second shows it.
    await using fleet = await startFleet(hub, 'drift', ['speaker', 'speaker'], (i) => ({ driftPpm: i === 1 ? 50_000 : 0 }));
    const [steady, fast] = fleet.devices as [SimDevice, SimDevice];
    await synced(fleet.devices);
    const t0 = trueNow();
    const local0 = fast.localNow();
    await sleep(500);
    const trueElapsed = trueNow() - t0;
    expect((fast.localNow() - local0) / trueElapsed).toBeCloseTo(1.05, 1);

    const created = await steady.command({ type: 'command.group.create', name: 'Pair', deviceIds: [steady.id, fast.id] });
    const groupId = created.ok ? created.groupId! : '';
    expect(await steady.command({ type: 'command.play', deviceId: groupId, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    await steady.waitFor(() => steady.player.playing && fast.player.playing, 3000, 'both playing');
    const start = Math.max(...[steady, fast].map((d) => d.truth.at(-1)!.trueTime));
    const apartAtStart = fast.heardAt(start)! - steady.heardAt(start)!;
    await sleep(1000);
    const now = trueNow();
    const apart = fast.heardAt(now)! - steady.heardAt(now)!;
    // 5% of the second since they started together, on the true clock.
    expect(apart - apartAtStart).toBeGreaterThan(0.05 * (now - start) * 0.8);
    expect(apart - apartAtStart).toBeLessThan(0.05 * (now - start) * 1.2);
  });
});

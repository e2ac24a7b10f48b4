import { describe, expect, test } from 'vitest';
import { startFleet } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { openTrace, viewerToken } from '../helpers/trace-client.ts';

describe('trace resume', () => {
  test('reconnecting with sinceSeq continues with the next event: no gap, no duplicate', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'carol', ['phone', 'speaker']);
    const [phone, speaker] = fleet.devices as [(typeof fleet.devices)[0], (typeof fleet.devices)[0]];
    const token = await viewerToken(hub, 'carol');
    expect(await phone.command({ type: 'command.transfer', deviceId: phone.id })).toMatchObject({ ok: true });

    const first = openTrace(hub, token, { user: 'carol' });
    const hello = await first.hello;
    await first.until((events) => events.length >= hello.lastSeq);
    const seen = [...first.events];
    await first[Symbol.asyncDispose]();

    // Things happen while no viewer is connected.
    expect(await phone.command({ type: 'command.play', contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    expect(await phone.command({ type: 'command.transfer', deviceId: speaker.id })).toMatchObject({ ok: true });
    const lastSeq = hub.hub.trace.lastSeq('carol');
    expect(lastSeq).toBeGreaterThan(seen.length);

    await using second = openTrace(hub, token, { user: 'carol', sinceSeq: seen[seen.length - 1]!.seq });
    await second.until((events) => events.length > 0 && events[events.length - 1]!.seq >= lastSeq);
    // Then live: one more command shows up on the resumed socket.
    await phone.command({ type: 'command.pause' });
    await second.until((events) => events.some((e) => e.type === 'command.pause'));

    const all = [...seen, ...second.events].map((e) => e.seq);
    expect(second.events[0]!.seq).toBe(seen[seen.length - 1]!.seq + 1);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(second.gaps).toEqual([]);
  });

  test('a sinceSeq older than the ring holds gets a gap marker for what was evicted, then the rest', async () => {
    await using hub = await startTestHub({ TRACE_MAX_EVENTS_PER_USER: '20' });
    await using fleet = await startFleet(hub, 'dave', ['phone']);
    const phone = fleet.devices[0]!;
    await phone.command({ type: 'command.transfer', deviceId: phone.id });
    await phone.command({ type: 'command.play', contextUri: 'demo:album:night-drive' });
    for (let i = 0; i < 10; i++) await phone.command({ type: 'command.volume', volumePercent: 10 + i });
    const first = hub.hub.trace.firstSeq('dave');
    expect(first).toBeGreaterThan(2);

    await using viewer = openTrace(hub, await viewerToken(hub, 'dave'), { sinceSeq: 1 });
    const hello = await viewer.hello;
    await viewer.until((events) => events.length > 0 && events[events.length - 1]!.seq >= hello.lastSeq);
    expect(viewer.gaps).toEqual([{ type: 'trace.gap', fromSeq: 2, toSeq: first - 1, reason: 'evicted' }]);
    expect(viewer.events[0]!.seq).toBe(first);
  });

  test('the NDJSON export resumes from sinceSeq too, so a viewer can fill a gap', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'erin', ['phone']);
    await fleet.devices[0]!.command({ type: 'command.transfer', deviceId: fleet.devices[0]!.id });
    const token = await viewerToken(hub, 'erin');
    const res = await fetch(`${hub.url}/v1/users/erin/trace?format=ndjson&sinceSeq=3`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const seqs = (await res.text())
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { seq: number }).seq);
    expect(seqs[0]).toBe(4);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 4));
  });
});

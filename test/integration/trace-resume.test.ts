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
    // The devices' own traffic (a heartbeat, a clock exchange) may evict more before the viewer's
    // hello: the gap ends where the first event sent begins, at least where the ring began above.
    const sent = viewer.events[0]!.seq;
    expect(sent).toBeGreaterThanOrEqual(first);
    expect(viewer.gaps).toEqual([{ type: 'trace.gap', fromSeq: 2, toSeq: sent - 1, reason: 'evicted' }]);
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
  test('the NDJSON export serves a range (sinceSeq < seq <= untilSeq) and refuses a range that ends before it starts', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'hana', ['phone']);
    await fleet.devices[0]!.command({ type: 'command.transfer', deviceId: fleet.devices[0]!.id });
    await fleet.devices[0]!.command({ type: 'command.play', contextUri: 'demo:album:night-drive' });
    expect(hub.hub.trace.lastSeq('hana')).toBeGreaterThan(9);
    const headers = { authorization: `Bearer ${await viewerToken(hub, 'hana')}` };
    const res = await fetch(`${hub.url}/v1/users/hana/trace?format=ndjson&sinceSeq=3&untilSeq=8`, { headers });
    const seqs = (await res.text())
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { seq: number }).seq);
    expect(seqs).toEqual([4, 5, 6, 7, 8]);
    const backwards = await fetch(`${hub.url}/v1/users/hana/trace?format=ndjson&sinceSeq=8&untilSeq=3`, { headers });
    expect(backwards.status).toBe(400);
    expect(await backwards.text()).toContain('untilSeq');
    const anonymous = await fetch(`${hub.url}/v1/users/hana/trace?format=ndjson&sinceSeq=3&untilSeq=8`);
    expect(anonymous.status).toBe(401);
  });

  test('sinceSeq with the same bootId resumes after it; with another boot the viewer gets this run from its start', async () => {
    // Two hubs are two boots of the trace, as a restart or a move to another node would be.
    await using before = await startTestHub();
    await using after = await startTestHub();
    for (const hub of [before, after]) {
      await using fleet = await startFleet(hub, 'gail', ['phone']);
      const phone = fleet.devices[0]!;
      await phone.command({ type: 'command.transfer', deviceId: phone.id });
      await phone.command({ type: 'command.play', contextUri: 'demo:album:night-drive' });
    }
    const held = openTrace(before, await viewerToken(before, 'gail'), { user: 'gail' });
    const oldHello = await held.hello;
    await held.until((events) => events.length >= oldHello.lastSeq);
    await held[Symbol.asyncDispose]();
    const since = Math.min(oldHello.lastSeq, after.hub.trace.lastSeq('gail')) - 2;
    expect(since).toBeGreaterThan(0);
    const token = await viewerToken(after, 'gail');

    await using sameBoot = openTrace(after, token, { user: 'gail', sinceSeq: since, bootId: after.hub.trace.bootId });
    const sameHello = await sameBoot.hello;
    await sameBoot.until((events) => events.at(-1)?.seq === sameHello.lastSeq);
    expect(sameHello.bootId).toBe(after.hub.trace.bootId);
    expect(sameBoot.events[0]!.seq).toBe(since + 1);

    await using otherBoot = openTrace(after, token, { user: 'gail', sinceSeq: since, bootId: oldHello.bootId });
    const otherHello = await otherBoot.hello;
    await otherBoot.until((events) => events.at(-1)?.seq === otherHello.lastSeq);
    expect(otherHello.bootId).not.toBe(oldHello.bootId);
    expect(otherBoot.events.map((e) => e.seq)).toEqual(Array.from({ length: otherHello.lastSeq }, (_, i) => i + 1));
    expect(otherBoot.gaps).toEqual([]);
  });
});

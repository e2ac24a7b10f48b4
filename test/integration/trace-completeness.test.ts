import { PROTOCOL_VERSION, TraceEvent, type HubMessage } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { devToken } from '@handoff/device-sim';
import { startFleet, synced } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { openTrace, viewerToken } from '../helpers/trace-client.ts';

/**
 * A device written by hand on a raw socket, keeping every frame it sent and received, so the
 * trace can be checked against what really went over the wire.
 */
async function rawSpeaker(hubWsUrl: string, user: string, opts: { answerPings?: boolean } = {}) {
  const token = await devToken(hubWsUrl, user, 'device');
  const ws = new WebSocket(`${hubWsUrl}?access_token=${token}`, { perMessageDeflate: false });
  const sent: Array<{ type: string }> = [];
  const received: HubMessage[] = [];
  const send = (m: { type: string } & Record<string, unknown>) => {
    sent.push(m);
    ws.send(JSON.stringify(m));
  };
  ws.on('message', (data) => {
    const m = JSON.parse((data as Buffer).toString()) as HubMessage;
    received.push(m);
    if (m.type === 'clock.ping' && opts.answerPings !== false)
      ws.send(JSON.stringify({ type: 'clock.pong', pingId: m.pingId, t0: m.t0, t1: Date.now(), t2: Date.now() }));
    if (m.type === 'transfer.prepare') send({ type: 'transfer.ready', transferId: m.transferId });
    if (m.type === 'transfer.switch' && m.role === 'start') {
      setTimeout(() => send({ type: 'transfer.started', transferId: m.transferId }), Math.max(0, m.atServerTime - Date.now()));
    }
  });
  await new Promise((r) => ws.once('open', r));
  send({
    type: 'device.hello',
    protocolVersion: PROTOCOL_VERSION,
    device: {
      id: 'raw-speaker',
      name: 'Raw speaker',
      kind: 'speaker',
      capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true },
    },
  });
  return { ws, sent, received };
}

describe('trace completeness', () => {
  test('every message of a transfer is in the trace, in order, correlated with the transfer id', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'alice', ['phone']);
    const phone = fleet.devices[0]!;
    const speaker = await rawSpeaker(hub.wsUrl, 'alice');
    await using viewer = openTrace(hub, await viewerToken(hub, 'alice'), { user: 'alice' });
    await synced([phone]);
    expect(await phone.command({ type: 'command.transfer', deviceId: phone.id })).toMatchObject({ ok: true });
    expect(await phone.command({ type: 'command.play', contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    const result = await phone.command({ type: 'command.transfer', deviceId: 'raw-speaker', commandId: 'move-1' });
    expect(result).toMatchObject({ ok: true });
    const prepare = speaker.received.find((m) => m.type === 'transfer.prepare');
    const transferId = prepare && 'transferId' in prepare ? prepare.transferId : '';
    expect(transferId).toMatch(/^tr-/);
    await viewer.until((events) => events.some((e) => e.kind === 'command.result' && e.correlationId === 'move-1'));
    await new Promise((r) => setTimeout(r, 100));
    const events = viewer.events;

    // Every event is well formed, seqs run 1, 2, 3... and causes point backwards.
    for (const [i, e] of events.entries()) {
      expect(TraceEvent.safeParse(e).success).toBe(true);
      expect(e.seq).toBe(i + 1);
      expect(e.userId).toBe('alice');
      if (e.parentSeq !== undefined) expect(e.parentSeq).toBeLessThan(e.seq);
    }

    // What the raw speaker received is exactly what the trace says the hub sent it (clock sync aside).
    const out = events.filter((e) => e.kind === 'message.out' && (e.deviceId === 'raw-speaker' || e.recipients?.includes('raw-speaker')));
    const wire = speaker.received.filter((m) => m.type !== 'clock.ping' && m.type !== 'clock.sync');
    expect(out.map((e) => e.payload)).toEqual(wire);
    // And what it sent is what the trace says came in from it (pongs aside).
    const inbound = events.filter((e) => e.kind === 'message.in' && e.deviceId === 'raw-speaker');
    expect(inbound.map((e) => e.payload)).toEqual(speaker.sent);

    // The transfer's own events carry its id, and tell the whole story in order.
    const story = events.filter((e) => e.correlationId === transferId).map((e) => `${e.kind} ${e.type} ${e.deviceId ?? 'hub'}`);
    const expected = [
      'transfer.phase prepare raw-speaker',
      'message.out transfer.prepare raw-speaker',
      'message.in transfer.ready raw-speaker',
      'transfer.phase switch-scheduled hub',
      'message.out transfer.switch raw-speaker',
      `message.out transfer.switch ${phone.id}`,
      'message.in transfer.started raw-speaker',
      'transfer.phase committed raw-speaker',
    ];
    let at = -1;
    for (const step of expected) {
      const found = story.indexOf(step, at + 1);
      expect(found, `${step} after position ${at} in\n${story.join('\n')}`).toBeGreaterThan(at);
      at = found;
    }
    // The commit pushes the new cluster to both devices, within the transfer: one event naming them both.
    const pushes = events.filter((e) => e.correlationId === transferId && e.kind === 'message.out' && e.type === 'cluster.update');
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.deviceId).toBeUndefined();
    expect(pushes[0]!.recipients).toEqual(expect.arrayContaining([phone.id, 'raw-speaker']));

    // The command that asked for it: in, the state change, and its result, all under its command id.
    const command = events.filter((e) => e.correlationId === 'move-1');
    expect(command[0]).toMatchObject({ kind: 'message.in', type: 'command.transfer', deviceId: phone.id });
    expect(command.some((e) => e.kind === 'transition' && e.from === 'idle' && e.to === 'preparing')).toBe(true);
    expect(command.some((e) => e.kind === 'message.out' && e.type === 'command.result' && e.deviceId === phone.id)).toBe(true);
    // The transfer's first phase was caused by the command message.
    const phase = events.find((e) => e.correlationId === transferId && e.type === 'prepare')!;
    expect(phase.parentSeq).toBe(command[0]!.seq);
    expect(phase.payload).toMatchObject({ commandId: 'move-1', targetId: 'raw-speaker', sourceId: phone.id });

    // Connections and presence are traced too.
    expect(events.some((e) => e.kind === 'connection' && e.type === 'opened' && e.deviceId === 'raw-speaker')).toBe(true);
    expect(events.some((e) => e.kind === 'presence' && e.type === 'joined' && e.deviceId === 'raw-speaker')).toBe(true);
    speaker.ws.close();
  });

  test('a device that goes silent is traced as silent, then closed for its missed heartbeats', async () => {
    await using hub = await startTestHub({ HEARTBEAT_MS: '150' });
    await using viewer = openTrace(hub, await viewerToken(hub, 'gina'));
    const mute = await rawSpeaker(hub.wsUrl, 'gina', { answerPings: false });
    await viewer.until((events) => events.some((e) => e.kind === 'connection' && e.type === 'closed'), 5000);
    const mine = viewer.events.filter((e) => e.deviceId === 'raw-speaker').map((e) => `${e.kind} ${e.type}`);
    expect(mine.indexOf('presence silent')).toBeGreaterThan(mine.indexOf('presence joined'));
    expect(mine.indexOf('connection closed')).toBeGreaterThan(mine.indexOf('presence silent'));
    const closed = viewer.events.find((e) => e.kind === 'connection' && e.type === 'closed')!;
    expect(closed.payload).toMatchObject({ by: 'hub', code: 4014, reason: 'no heartbeat' });
    mute.ws.close();
  });
});

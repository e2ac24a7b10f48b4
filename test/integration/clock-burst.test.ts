import { PROTOCOL_VERSION, type HubMessage } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { devToken } from '@handoff/device-sim';
import { startTestHub } from '../helpers/start-hub.ts';

/** A device on a raw socket that answers every clock ping after `delayMs`; counts the pings. */
async function pingCounter(hubWsUrl: string, id: string, delayMs: number) {
  const token = await devToken(hubWsUrl, 'alice', 'device');
  const ws = new WebSocket(`${hubWsUrl}?access_token=${token}`, { perMessageDeflate: false });
  const counter = { pings: 0, ws };
  ws.on('message', (data) => {
    const m = JSON.parse((data as Buffer).toString()) as HubMessage;
    if (m.type !== 'clock.ping') return;
    counter.pings++;
    const answer = () => ws.send(JSON.stringify({ type: 'clock.pong', pingId: m.pingId, t0: m.t0, t1: Date.now(), t2: Date.now() }));
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  await new Promise((r) => ws.once('open', r));
  const capabilities = { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true };
  ws.send(JSON.stringify({ type: 'device.hello', protocolVersion: PROTOCOL_VERSION, device: { id, name: id, kind: 'speaker', capabilities } }));
  return counter;
}

describe('clock sync after the hello', () => {
  test('a device whose clock is pinned within 1 ms after a few pings is spared the rest of the burst; a slower one gets all 16', async () => {
    await using hub = await startTestHub({ HEARTBEAT_MS: '60000' });
    const near = await pingCounter(hub.wsUrl, 'near', 0);
    const far = await pingCounter(hub.wsUrl, 'far', 8); // a round trip of 8 ms or more: error bound >= 4 ms
    await new Promise((r) => setTimeout(r, 900));
    // (The first heartbeat ping may fall in this window too: its slot comes up any time in the period.)
    expect(far.pings).toBeGreaterThanOrEqual(16);
    expect(near.pings).toBeGreaterThanOrEqual(4);
    expect(near.pings).toBeLessThanOrEqual(9);
    near.ws.close();
    far.ws.close();
  });
});

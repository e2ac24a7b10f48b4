import { PROTOCOL_VERSION, type HubMessage } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { devToken } from '@handoff/device-sim';
import { startTestHub } from '../helpers/start-hub.ts';

/** A device on a raw socket that answers the n-th clock ping after `delayMs(n)`; counts the pings and the estimates it is told. */
async function pingCounter(hubWsUrl: string, id: string, delayMs: (n: number) => number) {
  const token = await devToken(hubWsUrl, 'alice', 'device');
  const ws = new WebSocket(`${hubWsUrl}?access_token=${token}`, { perMessageDeflate: false });
  const counter = { pings: 0, syncs: 0, ws };
  ws.on('message', (data) => {
    const m = JSON.parse((data as Buffer).toString()) as HubMessage;
    if (m.type === 'clock.sync') counter.syncs++;
    if (m.type !== 'clock.ping') return;
    const delay = delayMs(counter.pings++);
    const answer = () => ws.send(JSON.stringify({ type: 'clock.pong', pingId: m.pingId, t0: m.t0, t1: Date.now(), t2: Date.now() }));
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
  await new Promise((r) => ws.once('open', r));
  const capabilities = { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true };
  ws.send(JSON.stringify({ type: 'device.hello', protocolVersion: PROTOCOL_VERSION, device: { id, name: id, kind: 'speaker', capabilities } }));
  return counter;
}

describe('clock sync after the hello', () => {
  test('a device whose clock is pinned within 1 ms after two pings is spared the rest of the burst; one whose trips keep getting faster gets nearly all 16; each is told its estimate once the burst is over, not after every pong', async () => {
    await using hub = await startTestHub({ HEARTBEAT_MS: '60000' });
    const near = await pingCounter(hub.wsUrl, 'near', () => 0);
    const steady = await pingCounter(hub.wsUrl, 'steady', () => 8); // a round trip of 8 ms or more: error bound >= 4 ms
    const narrowing = await pingCounter(hub.wsUrl, 'narrowing', (n) => 80 * 0.8 ** n); // each trip a fifth faster than the last
    await new Promise((r) => setTimeout(r, 1200));
    // (The first heartbeat ping may fall in this window too: its slot comes up any time in the period.)
    // Two exchanges on loopback; a few more if the machine is busy enough to push a trip past 1 ms.
    expect(near.pings).toBeGreaterThanOrEqual(2);
    expect(near.pings).toBeLessThanOrEqual(9);
    expect(steady.pings).toBeGreaterThanOrEqual(4);
    expect(narrowing.pings).toBeGreaterThanOrEqual(10);
    // Told the estimate at the end of the burst, not after every exchange.
    for (const d of [near, steady, narrowing]) {
      expect(d.syncs).toBeGreaterThanOrEqual(1);
      expect(d.syncs).toBeLessThan(d.pings);
    }
    expect(narrowing.syncs).toBeLessThanOrEqual(2);
    for (const d of [near, steady, narrowing]) d.ws.close();
  });
});

import type { SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { startFleet, synced } from '../helpers/fleet.ts';
import { scrape } from '../helpers/scrape.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { tokenFor, webApi } from '../helpers/web-api-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /metrics', () => {
  test('is public Prometheus text with connections, sessions and process metrics (event-loop lag)', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const res = await fetch(`${hub.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = await scrape(hub);
    expect(m.value('handoff_devices_connected')).toBe(2);
    expect(m.value('handoff_sockets_open{endpoint="/v1/connect"}')).toBe(2);
    expect(m.value('handoff_sessions_open')).toBe(1);
    expect(m.value('handoff_draining')).toBe(0);
    expect(m.text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(m.text).toMatch(/^process_resident_memory_bytes \d/m);
  });

  test('a transfer moves the transfer and command counters, their latency histograms, the switch gap and clock error', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    await synced(fleet.devices);
    expect(await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    await phone.waitFor(() => phone.player.playing, 3000, 'playing');
    const before = await scrape(hub);
    expect(await phone.command({ type: 'command.transfer', deviceId: speaker.id })).toMatchObject({ ok: true });

    const after = await scrape(hub);
    const moved = (series: string) => after.value(series) - before.value(series);
    expect(moved('handoff_transfers_total{code="ok"}')).toBe(1);
    expect(moved('handoff_transfer_duration_seconds_count{outcome="committed"}')).toBe(1);
    expect(moved('handoff_transfer_duration_seconds_sum{outcome="committed"}')).toBeGreaterThan(0);
    expect(moved('handoff_commands_total{code="ok"}')).toBe(1);
    expect(moved('handoff_command_duration_seconds_count{outcome="ok"}')).toBe(1);
    // The transfer command waited for the whole handoff: its latency is at least the transfer's.
    expect(moved('handoff_command_duration_seconds_sum{outcome="ok"}')).toBeGreaterThanOrEqual(moved('handoff_transfer_duration_seconds_sum{outcome="committed"}'));
    // The simulated speaker reports when it really started; one observation, gap or overlap, well under 50 ms.
    const reported = (kind: string) => `handoff_switch_gap_seconds_count{kind="${kind}",measured="reported"}`;
    expect(moved(reported('gap')) + moved(reported('overlap'))).toBe(1);
    const within50ms = (kind: string) => moved(`handoff_switch_gap_seconds_bucket{kind="${kind}",measured="reported",le="0.05"}`);
    expect(within50ms('gap') + within50ms('overlap')).toBe(1);
    expect(after.value('handoff_clock_sync_error_seconds_count')).toBeGreaterThan(0);
  });

  test('a refused command, a bad frame and an over-limit HTTP request each move their counter by code', async () => {
    await using hub = await startTestHub({ API_RATE_BURST: '2', API_RATE_PER_SEC: '1' });
    await using fleet = await startFleet(hub, 'alice', ['phone']);
    const phone = fleet.devices[0] as SimDevice;
    const before = await scrape(hub);

    expect(await phone.command({ type: 'command.transfer', deviceId: 'no-such-device' })).toMatchObject({ ok: false, code: 'DEVICE_NOT_FOUND' });
    phone.sendRaw('{"type":');
    await phone.waitFor(() => phone.errors.some((e) => e.code === 'BAD_JSON'), 2000, 'BAD_JSON error');
    const api = webApi(hub, tokenFor(hub, 'alice'));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api.get('/v1/me/player/devices')).status);
    expect(statuses).toContain(429);

    const after = await scrape(hub);
    const moved = (series: string) => after.value(series) - before.value(series);
    expect(moved('handoff_commands_total{code="DEVICE_NOT_FOUND"}')).toBe(1);
    expect(moved('handoff_command_duration_seconds_count{outcome="refused"}')).toBe(1);
    expect(moved('handoff_commands_total{code="ok"}')).toBe(0);
    expect(moved('handoff_transfers_total{code="ok"}')).toBe(0);
    expect(moved('handoff_refusals_total{source="device",code="BAD_JSON"}')).toBe(1);
    expect(moved('handoff_refusals_total{source="http",code="RATE_LIMITED"}')).toBe(statuses.filter((s) => s === 429).length);
  });

  test('a rolled-back transfer is counted by its code; labels never carry a user or device id', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'carol-7f3a', ['phone', 'speaker'], (i) => ({ failLoad: i === 1, id: `dev-${i}-x9q` }));
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    expect(await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    expect(await phone.command({ type: 'command.transfer', deviceId: speaker.id })).toMatchObject({ ok: false, code: 'TRANSFER_FAILED' });

    const m = await scrape(hub);
    expect(m.value('handoff_transfers_total{code="TRANSFER_FAILED"}')).toBe(1);
    expect(m.value('handoff_transfer_duration_seconds_count{outcome="rolled_back"}')).toBe(1);
    expect(m.value('handoff_commands_total{code="TRANSFER_FAILED"}')).toBe(1);
    expect(m.text).not.toMatch(/carol|x9q/);
  });

  test('viewer sockets are counted on their endpoint and leave the count when they close', async () => {
    await using hub = await startTestHub();
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/v1/trace?access_token=${await tokenFor(hub, 'alice', 'viewer')}`);
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    await sleep(50);
    expect((await scrape(hub)).value('handoff_sockets_open{endpoint="/v1/trace"}')).toBe(1);
    ws.close();
    await new Promise((resolve) => ws.once('close', resolve));
    await sleep(50);
    expect((await scrape(hub)).value('handoff_sockets_open{endpoint="/v1/trace"}')).toBe(0);
  });
});

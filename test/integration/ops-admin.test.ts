import { CloseCode } from '@handoff/protocol';
import type { SimDevice } from '@handoff/device-sim';
import { createLog, parseConfig, startHub } from '@handoff/server';
import { describe, expect, test } from 'vitest';
import { startFleet } from '../helpers/fleet.ts';
import { scrape } from '../helpers/scrape.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { tokenFor, webApi } from '../helpers/web-api-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface UserReport {
  userId: string;
  known: boolean;
  trace: { firstSeq: number; lastSeq: number };
  session: { state: string; activeDeviceId: string | null; playing: boolean } | null;
  devices: Array<{ id: string; online: boolean; connected: boolean; active: boolean; groupId: string | null }>;
  groups: Array<{ id: string; name: string; memberIds: string[]; playingIds: string[]; active: boolean }>;
  connections: Array<{ deviceId: string | null; address: string; clock: { rttMs: number } | null }>;
}

describe('admin operations', () => {
  test("an admin lists a user's session, devices and connections on this hub", async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'alice', ['phone', 'speaker']);
    const phone = fleet.devices[0] as SimDevice;
    expect(await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    const admin = webApi(hub, tokenFor(hub, 'ops', 'admin'));

    const res = await admin.get('/v1/admin/users/alice');
    expect(res.status).toBe(200);
    const report = res.body as UserReport;
    expect(report.session).toMatchObject({ state: 'idle', activeDeviceId: 'phone-0', playing: true });
    expect(report.devices.map((d) => [d.id, d.online, d.connected, d.active])).toEqual([
      ['phone-0', true, true, true],
      ['speaker-1', true, true, false],
    ]);
    expect(report.connections.map((c) => c.deviceId).sort()).toEqual(['phone-0', 'speaker-1']);
    expect(report.groups).toEqual([]);

    const created = await phone.command({ type: 'command.group.create', name: 'Kitchen', deviceIds: ['speaker-1'] });
    const groupId = created.ok ? created.groupId! : '';
    expect(await phone.command({ type: 'command.transfer', deviceId: groupId, play: true })).toMatchObject({ ok: true });
    const grouped = (await admin.get('/v1/admin/users/alice')).body as UserReport;
    expect(grouped.groups).toEqual([{ id: groupId, name: 'Kitchen', memberIds: ['speaker-1'], playingIds: ['speaker-1'], active: true }]);
    expect(grouped.devices.map((d) => [d.id, d.groupId])).toEqual([
      ['phone-0', null],
      ['speaker-1', groupId],
    ]);
    expect(grouped.session).toMatchObject({ activeDeviceId: groupId });
    expect(report.connections[0]!.address).toMatch(/127\.0\.0\.1/);

    const nobody = await admin.get('/v1/admin/users/nobody');
    expect(nobody.body).toMatchObject({ userId: 'nobody', known: false, trace: { lastSeq: 0 }, session: null, devices: [], connections: [] });
    expect(report.known).toBe(true);
    expect(report.trace.lastSeq).toBeGreaterThan(report.trace.firstSeq);
  });

  test('an admin disconnects a device: it is closed with 4040 KICKED and the reason, stays away, and the others see it offline at once', async () => {
    // A grace period far longer than the wait below: a kicked device is not waited for.
    await using hub = await startTestHub({ GRACE_MS: '30000' });
    const events: string[] = [];
    await using fleet = await startFleet(hub, 'alice', ['phone', 'speaker'], (i) => (i === 1 ? { onEvent: (line: string) => events.push(line) } : {}));
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    const admin = webApi(hub, tokenFor(hub, 'ops', 'admin'));

    const res = await admin.call('DELETE', `/v1/admin/users/alice/devices/${speaker.id}?reason=${encodeURIComponent('stolen, reported by owner')}`);
    expect(res.status).toBe(204);
    await expect.poll(() => events).toContain(`speaker-1: closed ${CloseCode.KICKED} stolen, reported by owner`);
    await phone.waitFor(() => phone.cluster?.devices.find((d) => d.id === speaker.id)?.online === false, 3000, 'speaker offline');
    await sleep(300);
    expect(speaker.connected).toBe(false);
    expect(((await admin.get('/v1/admin/users/alice')).body as UserReport).connections.map((c) => c.deviceId)).toEqual(['phone-0']);
    expect((await scrape(hub)).value('handoff_device_disconnects_total{code="KICKED"}')).toBe(1);
  });

  test('without a reason the device is told it was disconnected by an operator', async () => {
    await using hub = await startTestHub();
    const events: string[] = [];
    await using _fleet = await startFleet(hub, 'alice', ['speaker'], { onEvent: (line: string) => events.push(line) });
    const res = await webApi(hub, tokenFor(hub, 'ops', 'admin')).call('DELETE', '/v1/admin/users/alice/devices/speaker-0');
    expect(res.status).toBe(204);
    await expect.poll(() => events).toContain(`speaker-0: closed ${CloseCode.KICKED} disconnected by an operator`);
  });

  test('device and viewer tokens are refused with 403, no token with 401, and nothing is disconnected', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'alice', ['speaker']);
    for (const role of ['device', 'viewer'] as const) {
      const api = webApi(hub, tokenFor(hub, 'alice', role));
      for (const res of [await api.get('/v1/admin/users/alice'), await api.call('DELETE', '/v1/admin/users/alice/devices/speaker-0')]) {
        expect(res.status, role).toBe(403);
        expect(res.body).toMatchObject({ error: { status: 403, code: 'FORBIDDEN', message: expect.stringContaining('admin') } });
      }
    }
    expect((await webApi(hub, null).get('/v1/admin/users/alice')).status).toBe(401);
    expect(fleet.devices[0]!.connected).toBe(true);
  });

  test('a device that is not connected is 404 DEVICE_NOT_FOUND; a bad user id or reason is 400', async () => {
    await using hub = await startTestHub();
    const admin = webApi(hub, tokenFor(hub, 'ops', 'admin'));
    expect((await admin.call('DELETE', '/v1/admin/users/alice/devices/ghost')).body).toMatchObject({ error: { status: 404, code: 'DEVICE_NOT_FOUND' } });
    expect((await admin.get('/v1/admin/users/al%20ice')).status).toBe(400);
    expect((await admin.call('DELETE', `/v1/admin/users/alice/devices/ghost?reason=${'x'.repeat(101)}`)).status).toBe(400);
  });

  test('every admin action is logged with the admin, the user and the correlation id of the request', async () => {
    const lines: string[] = [];
    await using hub = await startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1' }), { log: createLog({ write: (l) => lines.push(l) }) });
    await using _fleet = await startFleet(hub, 'alice', ['speaker']);
    const admin = webApi(hub, tokenFor(hub, 'ops', 'admin'));
    const read = await admin.get('/v1/admin/users/alice');
    const kick = await admin.call('DELETE', '/v1/admin/users/alice/devices/speaker-0?reason=test');
    const audits = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.audit);
    expect(audits).toEqual([
      expect.objectContaining({ level: 'info', audit: 'admin.read', admin: 'ops', userId: 'alice', correlationId: read.headers.get('x-correlation-id') }),
      expect.objectContaining({ audit: 'admin.kick', admin: 'ops', userId: 'alice', deviceId: 'speaker-0', reason: 'test', correlationId: kick.headers.get('x-correlation-id') }),
    ]);
  });
});

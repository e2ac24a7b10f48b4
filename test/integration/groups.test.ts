import type { SimDevice } from '@handoff/device-sim';
import { describe, expect, test } from 'vitest';
import { startFleet, synced } from '../helpers/fleet.ts';
import { startRedis } from '../helpers/redis.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { playOver, tokenFor, webApi, type WebApi } from '../helpers/web-api-client.ts';
import { WebApiDevices, WebApiPlaybackState } from '../helpers/web-api-schemas.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface GroupObject {
  id: string;
  name: string;
  device_ids: string[];
}

async function createGroup(api: WebApi, name: string, deviceIds: string[]): Promise<GroupObject> {
  const res = await api.post('/v1/me/player/groups', { name, device_ids: deviceIds });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as GroupObject;
}

/** What a device did apart from drift re-seeks (`resync@T` starts and the stops they imply), to tell an interruption from a correction. */
const played = (d: SimDevice) => d.truth.filter((x) => !x.transferId?.startsWith('resync@')).length;

/** When each device last started sounding, on the true clock (its ground truth). */
const lastStart = (d: SimDevice): number => {
  const start = d.truth.filter((a) => a.type === 'start').at(-1);
  if (!start) throw new Error(`${d.id} never started`);
  return start.trueTime;
};

describe('groups over HTTP', () => {
  test('create, list, rename, set members and delete, with Web API error shapes for bad requests', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'alice', ['phone', 'speaker', 'speaker', 'speaker']);
    const [, a, b, c] = fleet.devices as [SimDevice, SimDevice, SimDevice, SimDevice];
    await using _remote = await startFleet(hub, 'alice', ['computer'], { id: 'remote', capabilities: { canPlay: false } });
    const api = webApi(hub, tokenFor(hub, 'alice'));

    const group = await createGroup(api, 'Downstairs', [a.id, b.id]);
    expect(group).toMatchObject({ name: 'Downstairs', device_ids: [a.id, b.id] });
    expect((await api.get('/v1/me/player/groups')).body).toEqual({
      groups: [{ id: group.id, name: 'Downstairs', device_ids: [a.id, b.id], is_active: false, playing_device_ids: [] }],
    });

    const renamed = await api.put(`/v1/me/player/groups/${group.id}`, { name: 'Ground floor', device_ids: [a.id, b.id, c.id] });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: group.id, name: 'Ground floor', device_ids: [a.id, b.id, c.id] });

    const errors = [
      await api.post('/v1/me/player/groups', { name: 'Remote', device_ids: ['remote'] }),
      await api.post('/v1/me/player/groups', { name: 'Again', device_ids: [a.id] }),
      await api.post('/v1/me/player/groups', { name: 'Ghost', device_ids: ['nobody'] }),
      await api.post('/v1/me/player/groups', { name: '', device_ids: [a.id] }),
      await api.put('/v1/me/player/groups/no-such-group', { name: 'x' }),
    ];
    expect(errors.map((r) => r.status)).toEqual([403, 400, 404, 400, 404]);
    for (const r of errors) expect(r.body).toMatchObject({ error: { status: r.status, message: expect.any(String) } });
    expect((errors[1]!.body as { error: { message: string } }).error.message).toContain(`already in group ${group.id}`);

    const deleted = await api.call('DELETE', `/v1/me/player/groups/${group.id}`);
    expect(deleted.status).toBe(204);
    expect((await api.get('/v1/me/player/groups')).body).toEqual({ groups: [] });
  });

  test('a group is listed as one Speaker device with its volume, and GET /v1/me/player names it while it plays', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'bob', ['phone', 'speaker', 'speaker'], (i) => ({ volume: [50, 30, 70][i]! }));
    const [phone, a, b] = fleet.devices as [SimDevice, SimDevice, SimDevice];
    await synced(fleet.devices);
    const api = webApi(hub, tokenFor(hub, 'bob'));
    const group = await createGroup(api, 'Living room', [a.id, b.id]);
    await playOver(api, phone.id);

    const listed = WebApiDevices.parse((await api.get('/v1/me/player/devices')).body).devices.find((d) => d.id === group.id);
    expect(listed).toMatchObject({ id: group.id, name: 'Living room', type: 'Speaker', volume_percent: 50, supports_volume: true, is_active: false });

    expect((await api.put('/v1/me/player', { device_ids: [group.id], play: true })).status).toBe(204);
    const state = WebApiPlaybackState.parse((await api.get('/v1/me/player')).body);
    expect(state.device).toMatchObject({ id: group.id, name: 'Living room', type: 'Speaker', is_active: true });
    expect(state.is_playing).toBe(true);
    await a.waitFor(() => a.player.playing && b.player.playing, 3000, 'both members playing');
    expect(phone.player.playing).toBe(false);

    // Group volume scales the members relative to each other: 30/70 at 50 become 48/100 at 80 (rounded, capped).
    expect((await api.put(`/v1/me/player/volume?volume_percent=80&device_id=${group.id}`)).status).toBe(204);
    await a.waitFor(() => a.player.volume === 48 && b.player.volume === 100, 2000, 'member volumes scaled');
    // A member's own volume stays its own.
    expect((await api.put(`/v1/me/player/volume?volume_percent=10&device_id=${a.id}`)).status).toBe(204);
    await a.waitFor(() => a.player.volume === 10, 2000, 'member volume set');
    expect(b.player.volume).toBe(100);

    // Pause and seek aimed at the group by id.
    expect((await api.put(`/v1/me/player/pause?device_id=${group.id}`)).status).toBe(204);
    await a.waitFor(() => !a.player.playing && !b.player.playing, 2000, 'members paused');
  });
});

describe('groups over device sockets', () => {
  test('command.group.create, update and delete are answered like any command, and every device sees the groups', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'carol', ['phone', 'speaker', 'speaker']);
    const [phone, a, b] = fleet.devices as [SimDevice, SimDevice, SimDevice];
    const created = await phone.command({ type: 'command.group.create', name: 'Kitchen', deviceIds: [a.id, b.id] });
    expect(created).toMatchObject({ ok: true, groupId: expect.any(String) });
    const groupId = created.ok ? created.groupId! : '';
    await a.waitFor(() => a.cluster?.groups?.some((g) => g.id === groupId) ?? false, 2000, 'group seen');
    expect(await phone.command({ type: 'command.group.update', groupId, deviceIds: [a.id] })).toMatchObject({ ok: true });
    await b.waitFor(() => b.cluster?.groups?.[0]?.deviceIds.length === 1, 2000, 'members set');
    expect(await phone.command({ type: 'command.group.update', groupId, deviceIds: ['nobody'] })).toMatchObject({ ok: false, code: 'DEVICE_NOT_FOUND' });
    expect(await phone.command({ type: 'command.group.delete', groupId })).toMatchObject({ ok: true });
    await b.waitFor(() => b.cluster?.groups?.length === 0, 2000, 'group gone');
  });
});

describe('transfer to and from a group over real sockets', () => {
  test('members with skewed clocks start together at T while the phone stops at T; then back to the phone', async () => {
    await using hub = await startTestHub();
    const skews = [0, 2000, -2000, 1300, -700];
    await using fleet = await startFleet(hub, 'dave', ['phone', 'speaker', 'speaker', 'speaker', 'speaker'], (i) => ({ skewMs: skews[i]!, jitterMs: 10 }));
    const [phone, ...members] = fleet.devices as [SimDevice, ...SimDevice[]];
    await synced(fleet.devices);
    const created = await phone.command({ type: 'command.group.create', name: 'Everywhere', deviceIds: members.map((m) => m.id) });
    const groupId = created.ok ? created.groupId! : '';
    expect(await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    await phone.waitFor(() => phone.player.playing, 3000, 'phone playing');
    await sleep(200);

    const result = await phone.command({ type: 'command.transfer', deviceId: groupId });
    expect(result).toMatchObject({ ok: true });
    expect(result).not.toHaveProperty('leftOut');
    await phone.waitFor(() => members.every((m) => m.player.playing) && !phone.player.playing, 3000, 'members playing, phone silent');
    const starts = members.map(lastStart);
    // The same instant on the true clock, within the clock estimates' error (not a timing assertion of the hub's speed).
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(30);
    const probe = Math.max(...starts) + 50;
    const heard = members.map((m) => m.heardAt(probe)!);
    expect(Math.max(...heard) - Math.min(...heard)).toBeLessThan(30);
    const phoneStop = phone.truth.filter((a) => a.type === 'stop').at(-1)!.trueTime;
    expect(Math.abs(phoneStop - Math.min(...starts))).toBeLessThan(30);

    // Group to device: every member stops when the phone starts.
    expect(await phone.command({ type: 'command.transfer', deviceId: phone.id })).toMatchObject({ ok: true });
    await phone.waitFor(() => phone.player.playing && members.every((m) => !m.player.playing), 3000, 'phone back, members silent');
    expect(phone.cluster?.activeDeviceId).toBe(phone.id);
  });

  test('from one group to another, the first group stops at the T the second starts', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'erin', ['phone', 'speaker', 'speaker', 'speaker', 'speaker']);
    const [phone, a, b, c, d] = fleet.devices as [SimDevice, SimDevice, SimDevice, SimDevice, SimDevice];
    await synced(fleet.devices);
    const api = webApi(hub, tokenFor(hub, 'erin'));
    const up = await createGroup(api, 'Upstairs', [a.id, b.id]);
    const down = await createGroup(api, 'Downstairs', [c.id, d.id]);
    await playOver(api, phone.id);
    expect((await api.put('/v1/me/player', { device_ids: [up.id], play: true })).status).toBe(204);
    await a.waitFor(() => a.player.playing && b.player.playing, 3000, 'upstairs playing');
    expect((await api.put('/v1/me/player', { device_ids: [down.id] })).status).toBe(204);
    await c.waitFor(() => c.player.playing && d.player.playing && !a.player.playing && !b.player.playing, 3000, 'downstairs only');
    expect(Math.abs(lastStart(c) - a.truth.filter((x) => x.type === 'stop').at(-1)!.trueTime)).toBeLessThan(30);
  });

  test('a member that fails to prepare is left out and named; the others play', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'frank', ['phone', 'speaker', 'speaker', 'speaker'], (i) => ({ failLoad: i === 3 }));
    const [phone, a, b, broken] = fleet.devices as [SimDevice, SimDevice, SimDevice, SimDevice];
    await synced(fleet.devices);
    const created = await phone.command({ type: 'command.group.create', name: 'Patio', deviceIds: [a.id, b.id, broken.id] });
    const groupId = created.ok ? created.groupId! : '';
    expect(await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    await phone.waitFor(() => phone.player.playing, 3000, 'phone playing');
    expect(await phone.command({ type: 'command.transfer', deviceId: groupId })).toMatchObject({ ok: true, leftOut: [broken.id] });
    await a.waitFor(() => a.player.playing && b.player.playing, 3000, 'a and b playing');
    expect(broken.player.playing).toBe(false);
    expect(phone.cluster?.groups?.find((g) => g.id === groupId)?.playingIds).toEqual([a.id, b.id]);
  });

  test('when no member can prepare, the transfer fails and the phone never stopped', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'gina', ['phone', 'speaker', 'speaker'], (i) => ({ failLoad: i > 0 }));
    const [phone, a, b] = fleet.devices as [SimDevice, SimDevice, SimDevice];
    await synced(fleet.devices);
    const created = await phone.command({ type: 'command.group.create', name: 'Garage', deviceIds: [a.id, b.id] });
    const groupId = created.ok ? created.groupId! : '';
    expect(await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    await phone.waitFor(() => phone.player.playing, 3000, 'phone playing');
    expect(await phone.command({ type: 'command.transfer', deviceId: groupId })).toMatchObject({ ok: false, code: 'TRANSFER_FAILED' });
    expect(phone.player.playing).toBe(true);
    expect(phone.truth.filter((x) => x.type === 'stop')).toEqual([]);
  });
});

describe('membership while a group plays', () => {
  test("a device added to a playing group joins at T' on the members' position; the members playing are not interrupted", async () => {
    await using hub = await startTestHub();
    const skews = [0, 1500, -1800, 900];
    await using fleet = await startFleet(hub, 'jack', ['phone', 'speaker', 'speaker', 'speaker'], (i) => ({ skewMs: skews[i]!, jitterMs: 10 }));
    const [phone, a, b, c] = fleet.devices as [SimDevice, SimDevice, SimDevice, SimDevice];
    await synced(fleet.devices);
    const api = webApi(hub, tokenFor(hub, 'jack'));
    const group = await createGroup(api, 'Den', [a.id, b.id]);
    await playOver(api, phone.id);
    expect((await api.put('/v1/me/player', { device_ids: [group.id], play: true })).status).toBe(204);
    await a.waitFor(() => a.player.playing && b.player.playing, 3000, 'a and b playing');
    await sleep(300);
    const before = [played(a), played(b)];

    expect((await api.put(`/v1/me/player/groups/${group.id}`, { device_ids: [a.id, b.id, c.id] })).status).toBe(200);
    await c.waitFor(() => c.player.playing, 3000, 'c joined');
    await c.waitFor(() => c.cluster?.groups?.[0]?.playingIds.includes(c.id) ?? false, 3000, 'c counted as playing');
    expect([played(a), played(b)]).toEqual(before);
    // It started on the scheduled switch, not by catching up on a cluster push.
    expect(c.truth.filter((x) => x.type === 'start').at(-1)).toHaveProperty('transferId');
    const probe = lastStart(c) + 20;
    expect(Math.abs(c.heardAt(probe)! - a.heardAt(probe)!)).toBeLessThan(30);
  });

  test('removing a member silences only it; a member that disconnects leaves the others playing and is back on return', async () => {
    await using hub = await startTestHub({ GRACE_MS: '10000' });
    await using fleet = await startFleet(hub, 'hank', ['phone', 'speaker', 'speaker', 'speaker']);
    const [phone, a, b, c] = fleet.devices as [SimDevice, SimDevice, SimDevice, SimDevice];
    await synced(fleet.devices);
    const api = webApi(hub, tokenFor(hub, 'hank'));
    const group = await createGroup(api, 'House', [a.id, b.id, c.id]);
    await playOver(api, phone.id);
    expect((await api.put('/v1/me/player', { device_ids: [group.id], play: true })).status).toBe(204);
    await a.waitFor(() => a.player.playing && b.player.playing && c.player.playing, 3000, 'all playing');
    const startsBefore = [a, b].map(played);

    expect((await api.put(`/v1/me/player/groups/${group.id}`, { device_ids: [a.id, b.id] })).status).toBe(200);
    await c.waitFor(() => !c.player.playing, 2000, 'removed member silent');
    c.drop();
    a.drop();
    await sleep(300);
    expect(b.player.playing).toBe(true);
    await a.waitFor(() => a.connected && a.player.playing, 5000, 'a back and playing');
    // b was never told to stop or restart.
    expect(played(b)).toBe(startsBefore[1]);
  });
});

describe('play here and in the other rooms too', () => {
  test('a transfer to the group of the speaker that plays leaves it playing and starts the others on its position', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'mia', ['phone', 'speaker', 'speaker', 'speaker'], (i) => ({ skewMs: [0, 700, -1500, 1900][i]!, jitterMs: 10 }));
    const [, a, b, c] = fleet.devices as [SimDevice, SimDevice, SimDevice, SimDevice];
    await synced(fleet.devices);
    const api = webApi(hub, tokenFor(hub, 'mia'));
    const group = await createGroup(api, 'All', [a.id, b.id, c.id]);
    await playOver(api, a.id);
    await a.waitFor(() => a.player.playing, 3000, 'a playing');
    await sleep(200);
    const before = played(a);
    expect((await api.put('/v1/me/player', { device_ids: [group.id] })).status).toBe(204);
    await b.waitFor(() => b.player.playing && c.player.playing, 3000, 'b and c joined');
    expect(played(a)).toBe(before);
    const probe = Math.max(lastStart(b), lastStart(c)) + 20;
    expect(Math.abs(b.heardAt(probe)! - a.heardAt(probe)!)).toBeLessThan(30);
    expect(Math.abs(c.heardAt(probe)! - a.heardAt(probe)!)).toBeLessThan(30);
  });
});

describe('drift correction', () => {
  test('a member whose sound slipped off the group is re-seeked back onto it, and only that member', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'nia', ['speaker', 'speaker'], (i) => ({ skewMs: [600, -900][i]! }));
    const [a, b] = fleet.devices as [SimDevice, SimDevice];
    await synced(fleet.devices);
    const created = await a.command({ type: 'command.group.create', name: 'Pair', deviceIds: [a.id, b.id] });
    const groupId = created.ok ? created.groupId! : '';
    expect(await a.command({ type: 'command.play', deviceId: groupId, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    await a.waitFor(() => a.cluster?.activeDeviceId === groupId && a.player.playing && b.player.playing, 3000, 'both playing');
    // Two heartbeats of reports: a member that started off the line (its first clock estimate was
    // off) is already put back on it.
    await sleep(2500);
    // b's sound slips 60 ms ahead (what clock drift does slowly), as its own player would.
    b.player.start(b.player.track!, b.player.positionMs() + 60);
    const slipped = b.truth.length;
    const aBefore = a.truth.length;
    // Reports ride on the clock pings (every heartbeat, 1 s here).
    await b.waitFor(() => b.truth.length > slipped, 4000, 'b re-seeked');
    expect(b.truth.at(-1)?.transferId).toMatch(/^resync@/);
    const probe = lastStart(b) + 20;
    expect(Math.abs(b.heardAt(probe)! - a.heardAt(probe)!)).toBeLessThan(15);
    expect(a.truth.slice(aBefore)).toEqual([]);
  });
});

describe('a member that restarts', () => {
  test('a member back within the grace period, silent after a crash, rejoins on the position of the members playing', async () => {
    await using hub = await startTestHub({ GRACE_MS: '10000' });
    await using fleet = await startFleet(hub, 'lee', ['phone', 'speaker', 'speaker'], (i) => ({ skewMs: [0, 800, -1200][i]! }));
    const [phone, a, b] = fleet.devices as [SimDevice, SimDevice, SimDevice];
    await synced(fleet.devices);
    const api = webApi(hub, tokenFor(hub, 'lee'));
    const group = await createGroup(api, 'Hall', [a.id, b.id]);
    await playOver(api, phone.id);
    expect((await api.put('/v1/me/player', { device_ids: [group.id], play: true })).status).toBe(204);
    await a.waitFor(() => a.player.playing && b.player.playing, 3000, 'both playing');

    // b crashes: its connection goes and its sound with it; the same device comes back as a new process.
    b.vanish();
    b.player.stop();
    await sleep(300);
    expect(a.player.playing).toBe(true);
    await using back = await startFleet(hub, 'lee', ['speaker'], { id: b.id, skewMs: -1200 });
    const b2 = back.devices[0]!;
    await synced([b2]);
    await b2.waitFor(() => b2.player.playing, 3000, 'b playing again');
    const probe = lastStart(b2) + 20;
    expect(Math.abs(b2.heardAt(probe)! - a.heardAt(probe)!)).toBeLessThan(30);
  });
});

describe('groups persist', () => {
  test('a group survives a hub restart with Redis', async () => {
    await using redis = await startRedis();
    const env = { REDIS_URL: redis.url };
    let groupId: string;
    {
      await using hub = await startTestHub(env);
      await using fleet = await startFleet(hub, 'ivy', ['speaker', 'speaker']);
      const [a, b] = fleet.devices as [SimDevice, SimDevice];
      groupId = (await createGroup(webApi(hub, tokenFor(hub, 'ivy')), 'Study', [a.id, b.id])).id;
    }
    await using hub = await startTestHub(env);
    await using fleet = await startFleet(hub, 'ivy', ['speaker', 'speaker']);
    await fleet.devices[0]!.waitFor(() => fleet.devices[0]!.cluster?.groups?.some((g) => g.id === groupId) ?? false, 3000, 'group restored');
    const res = await webApi(hub, tokenFor(hub, 'ivy')).get('/v1/me/player/groups');
    expect(res.body).toMatchObject({ groups: [{ id: groupId, name: 'Study', device_ids: fleet.devices.map((d) => d.id) }] });
  });
});

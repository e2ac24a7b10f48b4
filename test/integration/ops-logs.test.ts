import { SimDevice } from '@handoff/device-sim';
import { createLog, parseConfig, signToken, startHub } from '@handoff/server';
import { describe, expect, test } from 'vitest';
import { startFleet } from '../helpers/fleet.ts';
import { startMain } from '../helpers/main-process.ts';
import { webApi } from '../helpers/web-api-client.ts';

const SECRET = 'log-test-secret-0123456789abcdef';
type Line = Record<string, unknown>;

describe('logs', () => {
  test('lines about a command, a transfer and an admin action carry the correlation id the client saw', async () => {
    const lines: string[] = [];
    const log = createLog({ level: 'debug', base: { node: 'node-7' }, secrets: [SECRET], write: (l) => lines.push(l) });
    await using hub = await startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1', HUB_SECRET: SECRET }), { log });
    const token = await signToken(SECRET, { userId: 'alice', role: 'device' }, 60);
    await using fleet = await startFleet(hub, 'alice', ['phone', 'speaker'], (i) => ({ failLoad: i === 1, token }));
    const [phone, speaker] = fleet.devices as [SimDevice, SimDevice];
    const records = () => lines.map((l) => JSON.parse(l) as Line);

    const refused = await phone.command({ type: 'command.seek', positionMs: 1000 });
    expect(refused).toMatchObject({ ok: false, code: 'NO_ACTIVE_DEVICE' });
    expect(records()).toContainEqual(expect.objectContaining({ level: 'debug', msg: 'command refused', userId: 'alice', correlationId: refused.commandId, code: 'NO_ACTIVE_DEVICE' }));

    expect(await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' })).toMatchObject({ ok: true });
    expect(await phone.command({ type: 'command.transfer', deviceId: speaker.id })).toMatchObject({ ok: false, code: 'TRANSFER_FAILED' });
    const rollback = records().find((r) => r.msg === 'transfer rolled back');
    expect(rollback).toMatchObject({ level: 'warn', userId: 'alice', code: 'TRANSFER_FAILED', correlationId: expect.stringMatching(/^tr-/) });
    // The same id the trace (and so the viewer) files the transfer under.
    const phases = hub.hub.trace.read('alice').filter((e) => e.kind === 'transfer.phase' && e.type === 'rolled-back');
    expect(phases.map((e) => e.correlationId)).toEqual([rollback!.correlationId]);

    const res = await webApi(hub, signToken(SECRET, { userId: 'ops', role: 'admin' }, 60)).get('/v1/admin/users/alice');
    expect(records()).toContainEqual(expect.objectContaining({ audit: 'admin.read', correlationId: res.headers.get('x-correlation-id') }));
    expect(records().every((r) => r.node === 'node-7')).toBe(true);
  });

  test('a hub process writes JSON lines with its node id, and no token or secret in any of them', async () => {
    await using proc = await startMain({ HUB_SECRET: SECRET, LOG_LEVEL: 'debug', NODE_ID: 'node-logs' });
    const deviceToken = await signToken(SECRET, { userId: 'alice', role: 'device' }, 60);
    const adminToken = await signToken(SECRET, { userId: 'ops', role: 'admin' }, 60);
    const events: string[] = [];
    const device = new SimDevice({ hub: `${proc.url.replace('http', 'ws')}/v1/connect`, user: 'alice', token: deviceToken, kind: 'speaker', onEvent: (l) => events.push(l) });
    await device.connect();
    expect((await device.command({ type: 'command.pause' })).ok).toBe(false);
    await fetch(`${proc.url}/v1/admin/users/alice?access_token=${adminToken}`);
    await fetch(`${proc.url}/v1/me/player`, { headers: { authorization: `Bearer ${deviceToken}` } });
    // Whatever an operator types ends up in the audit line: even the secret itself is redacted there.
    const kick = await fetch(`${proc.url}/v1/admin/users/alice/devices/${device.id}?reason=${encodeURIComponent(`rotate ${SECRET}`)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(kick.status).toBe(204);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);

    const lines = proc.stderr();
    const records = lines.map((l) => JSON.parse(l) as Line);
    expect(records.length).toBeGreaterThan(4);
    for (const r of records) expect(r).toMatchObject({ level: expect.any(String), time: expect.any(String), node: 'node-logs', msg: expect.any(String) });
    expect(records).toContainEqual(expect.objectContaining({ audit: 'admin.kick', reason: 'rotate [redacted]', correlationId: kick.headers.get('x-correlation-id') }));
    const all = lines.join('\n');
    for (const secret of [SECRET, deviceToken, adminToken, deviceToken.split('.')[2]!, adminToken.split('.')[2]!]) expect(all).not.toContain(secret);
  });
});

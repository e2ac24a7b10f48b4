import { CloseCode, HubInfo } from '@handoff/protocol';
import { parseConfig, startHub, signToken, type Log } from '@handoff/server';
import { describe, expect, test } from 'vitest';
import { startFleet } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { openTrace, viewerToken } from '../helpers/trace-client.ts';

/** A log that keeps its info lines, to check what was audited. */
function recordingLog(lines: Array<Record<string, unknown>>): Log {
  const log: Log = {
    debug: () => {},
    info: (fields, msg) => lines.push({ ...fields, msg }),
    warn: () => {},
    error: () => {},
    child: () => log,
  };
  return log;
}

describe('trace access', () => {
  test('the trace socket refuses no token (4001), a device token (4003) and a viewer of another user (4003)', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'bob', ['speaker']);
    expect((await openTrace(hub, null, { user: 'bob' }).closed).code).toBe(CloseCode.UNAUTHORIZED);
    expect((await openTrace(hub, 'not.a.token', { user: 'bob' }).closed).code).toBe(CloseCode.UNAUTHORIZED);
    const device = await openTrace(hub, await viewerToken(hub, 'bob', 'device'), { user: 'bob' }).closed;
    expect(device.code).toBe(CloseCode.FORBIDDEN);
    const other = openTrace(hub, await viewerToken(hub, 'alice'), { user: 'bob' });
    expect((await other.closed).code).toBe(CloseCode.FORBIDDEN);
    expect(other.events).toEqual([]);
    expect(fleet.devices[0]!.connected).toBe(true);
  });

  test('the export refuses the same callers with 401 and 403', async () => {
    await using hub = await startTestHub();
    await using fleet = await startFleet(hub, 'bob', ['speaker']);
    const get = async (token: string | null) =>
      (await fetch(`${hub.url}/v1/users/bob/trace?format=ndjson`, token ? { headers: { authorization: `Bearer ${token}` } } : {}))
        .status;
    expect(await get(null)).toBe(401);
    expect(await get(await viewerToken(hub, 'bob', 'device'))).toBe(403);
    expect(await get(await viewerToken(hub, 'alice'))).toBe(403);
    expect(await get(await viewerToken(hub, 'bob'))).toBe(200);
    const bad = await fetch(`${hub.url}/v1/users/bob/trace?format=xml`, {
      headers: { authorization: `Bearer ${await viewerToken(hub, 'bob')}` },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { status: 400 } });
    expect(fleet.devices).toHaveLength(1);
  });

  test("an admin reads any user's trace, and doing so is written to the log", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const secret = 'a-test-secret-of-some-length';
    await using hub = await startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1', HUB_SECRET: secret }), {
      log: recordingLog(lines),
    });
    const deviceToken = await signToken(secret, { userId: 'bob', role: 'device' }, 60);
    await using fleet = await startFleet(hub, 'bob', ['speaker'], { token: deviceToken });
    const admin = await signToken(secret, { userId: 'ops', role: 'admin' }, 60);
    await using viewer = openTrace(hub, admin, { user: 'bob' });
    const hello = await viewer.hello;
    expect(hello.userId).toBe('bob');
    expect(hello.cluster?.devices.map((d) => d.id)).toEqual([fleet.devices[0]!.id]);
    await viewer.until((events) => events.some((e) => e.type === 'device.hello'));
    const res = await fetch(`${hub.url}/v1/users/bob/trace?format=otlp`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const audits = lines.filter((l) => l.audit === 'trace.read');
    expect(audits).toEqual([
      expect.objectContaining({ admin: 'ops', userId: 'bob', via: 'socket' }),
      expect.objectContaining({ admin: 'ops', userId: 'bob', via: 'export otlp' }),
    ]);
    // Dev tokens do not exist with a secret, and /v1/info says so, without a token.
    expect((await fetch(`${hub.url}/v1/dev/token`, { method: 'POST' })).status).toBe(404);
    const info = HubInfo.parse(await (await fetch(`${hub.url}/v1/info`)).json());
    expect(info.devMode).toBe(false);
  });
});

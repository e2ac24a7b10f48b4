import { createPublicKey } from 'node:crypto';
import { SignJWT, UnsecuredJWT, decodeProtectedHeader, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { SimDevice } from '@handoff/device-sim';
import { parseConfig, signToken, silentLog, startHub, systemClock, type Clock, type Log, type RunningHub } from '@handoff/server';
import { startTestProvider, type TestProvider } from '../helpers/oidc-provider.ts';
import { openTrace } from '../helpers/trace-client.ts';
import { webApi } from '../helpers/web-api-client.ts';

const SECRET = 'oidc-suite-hub-secret-0123456789';
let idp: TestProvider;
let hub: RunningHub;

const hubFor = (env: Record<string, string> = {}, deps: { log?: Log; clock?: Clock } = {}) =>
  startHub(
    parseConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      HUB_SECRET: SECRET,
      AUTH_ISSUER: idp.issuer,
      AUTH_AUDIENCE: idp.audience,
      ...env,
    }),
    { log: silentLog, ...deps },
  );
const now = () => Math.floor(Date.now() / 1000);
/** The close code a socket at `path` with `token` gets, or 'open' when it was let in. */
const socketOutcome = (path: string, token: string) =>
  new Promise<number | 'open'>((resolve, reject) => {
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}${path}access_token=${token}`);
    ws.once('message', () => (ws.close(), resolve('open')));
    ws.once('close', (code) => resolve(code));
    ws.once('error', reject);
  });

beforeAll(async () => {
  idp = await startTestProvider();
  hub = await hubFor();
});
afterAll(async () => {
  await hub?.close();
  await idp?.close();
});

describe('tokens from the identity provider', () => {
  test.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'a %s access token from the provider is accepted on the HTTP API as its sub',
    async (alg) => {
      const res = await webApi(hub, idp.token('alice', { alg, role: 'viewer' })).get('/v1/me');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: 'alice' });
    },
  );

  test('a provider device token opens a device socket, and a provider viewer token watches that user over the trace socket', async () => {
    const device = new SimDevice({
      hub: hub.wsUrl,
      user: 'alice',
      kind: 'speaker',
      id: 'oidc-speaker',
      token: await idp.token('alice', { role: 'device', alg: 'ES256' }),
    });
    await device.connect();
    try {
      expect(
        await device.command({ type: 'command.play', deviceId: device.id, contextUri: 'demo:album:night-drive' }),
      ).toMatchObject({ ok: true });
      await using viewer = openTrace(hub, await idp.token('alice', { role: 'viewer', alg: 'EdDSA' }));
      expect(await viewer.hello).toMatchObject({ userId: 'alice' });
      // Another user's provider token reaches nothing of alice's.
      expect(await socketOutcome('/v1/trace?user=alice&', await idp.token('bob', { role: 'viewer' }))).toBe(4003);
    } finally {
      await device.close();
    }
  });

  test('HUB_SECRET device tokens and provider tokens work on one hub at once, for the same user', async () => {
    const device = new SimDevice({
      hub: hub.wsUrl,
      user: 'bob',
      kind: 'phone',
      id: 'fleet-phone',
      token: await signToken(SECRET, { userId: 'bob', role: 'device' }, 60),
    });
    await device.connect();
    try {
      const devices = await webApi(hub, idp.token('bob', { role: 'viewer' })).get('/v1/me/player/devices');
      expect(devices.body).toMatchObject({ devices: [{ id: 'fleet-phone' }] });
    } finally {
      await device.close();
    }
  });

  test('an admin role from the provider may act on another user; without the role claim the token is a viewer', async () => {
    expect((await webApi(hub, idp.token('ops', { role: 'admin' })).get('/v1/whoami')).body).toEqual({
      user: 'ops',
      role: 'admin',
    });
    expect((await webApi(hub, null).get('/v1/whoami')).status).toBe(401);
    const asAdmin = await webApi(hub, idp.token('ops', { role: 'admin' }), { 'x-handoff-user': 'alice' }).get('/v1/me');
    expect(asAdmin.body).toMatchObject({ id: 'alice' });
    const noRole = idp.token('mallory');
    expect((await webApi(hub, noRole).get('/v1/whoami')).body).toEqual({ user: 'mallory', role: 'viewer' });
    expect((await webApi(hub, noRole).get('/v1/me')).body).toMatchObject({ id: 'mallory' });
    expect((await webApi(hub, noRole, { 'x-handoff-user': 'alice' }).get('/v1/me')).status).toBe(403);
    expect(await socketOutcome('/v1/trace?', await noRole)).toBe('open');
  });

  test('with AUTH_DEFAULT_ROLE=none a provider token without the role claim is refused', async () => {
    await using strict = await hubFor({ AUTH_DEFAULT_ROLE: 'none' });
    const res = await webApi(strict, idp.token('mallory')).get('/v1/me');
    expect(res).toMatchObject({ status: 401, body: { error: { message: 'token has no handoff_role claim' } } });
  });

  test('AUTH_USER_CLAIM and AUTH_ROLE_CLAIM name other claims, a dotted path reaching into objects', async () => {
    await using custom = await hubFor({ AUTH_USER_CLAIM: 'email', AUTH_ROLE_CLAIM: 'realm_access.roles' });
    const token = idp.token('alice', {
      edit: (p) => Object.assign(p, { email: 'alice@example.com', realm_access: { roles: ['offline', 'admin'] } }),
    });
    const res = await webApi(custom, token, { 'x-handoff-user': 'bob' }).get('/v1/me');
    expect(res.body).toMatchObject({ id: 'bob' });
    expect((await webApi(custom, token).get('/v1/me')).body).toMatchObject({ id: 'alice@example.com' });
  });
});

describe('provider tokens the hub refuses', () => {
  const refusal = async (token: string | Promise<string>) => {
    const t = await token;
    const res = await webApi(hub, t).get('/v1/me');
    return {
      status: res.status,
      message: (res.body as { error?: { message?: string } }).error?.message,
      socket: await socketOutcome('/v1/connect?', t),
    };
  };

  test.each([
    ['expired past the 30 s tolerance', { exp: -60 }, 'token expired'],
    ['not valid for another minute', { nbf: 60 }, 'token not yet valid'],
  ])('a token %s is refused on HTTP and sockets', async (_what, shift, message) => {
    const edit = (p: Record<string, unknown>) => {
      for (const [claim, by] of Object.entries(shift)) p[claim] = now() + by;
    };
    expect(await refusal(idp.token('alice', { role: 'device', edit }))).toEqual({ status: 401, message, socket: 4001 });
  });

  test('exp and nbf within 30 s of the hub clock are tolerated', async () => {
    const token = idp.token('alice', { role: 'viewer', edit: (p) => Object.assign(p, { exp: now() - 10, nbf: now() + 10 }) });
    expect((await webApi(hub, token).get('/v1/me')).status).toBe(200);
  });

  test('a token for another audience or from another issuer is refused', async () => {
    expect(await refusal(idp.token('alice', { role: 'device', edit: (p) => (p.aud = 'urn:some-other-api') }))).toMatchObject({
      status: 401,
      message: 'token audience not accepted',
      socket: 4001,
    });
    expect(await refusal(idp.token('alice', { role: 'device', edit: (p) => (p.iss = 'http://127.0.0.1:1/evil') }))).toMatchObject(
      { status: 401, message: 'token issuer not accepted', socket: 4001 },
    );
  });

  test('alg none is refused', async () => {
    const token = new UnsecuredJWT({ handoff_role: 'admin' })
      .setIssuer(idp.issuer)
      .setAudience(idp.audience)
      .setSubject('alice')
      .setExpirationTime('5m')
      .encode();
    expect(await refusal(token)).toEqual({ status: 401, message: 'unsupported token algorithm', socket: 4001 });
  });

  test('an HS256 token signed with the provider public key is refused (algorithm confusion)', async () => {
    const rsa = idp.publicKeys().find((k) => k.alg === 'RS256')!;
    const pem = createPublicKey({ key: rsa, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    for (const secret of [Buffer.from(pem), Buffer.from(JSON.stringify(rsa))]) {
      const token = await new SignJWT({ handoff_role: 'admin' })
        .setProtectedHeader({ alg: 'HS256', kid: rsa.kid! })
        .setIssuer(idp.issuer)
        .setAudience(idp.audience)
        .setSubject('alice')
        .setExpirationTime('5m')
        .sign(secret);
      expect(await refusal(token)).toEqual({ status: 401, message: 'bad token signature', socket: 4001 });
    }
  });

  test('a token signed by a key the provider never published is refused, and forged key ids do not make the hub hammer the provider', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const fetchesBefore = idp.jwksFetches();
    for (let i = 0; i < 20; i++) {
      const token = await new SignJWT({ handoff_role: 'admin' })
        .setProtectedHeader({ alg: 'ES256', kid: `forged-${i}` })
        .setIssuer(idp.issuer)
        .setAudience(idp.audience)
        .setSubject('alice')
        .setExpirationTime('5m')
        .sign(privateKey);
      expect((await webApi(hub, token).get('/v1/me')).body).toMatchObject({
        error: { status: 401, message: 'unknown token key' },
      });
    }
    // The hub fetched its keys at start, moments ago: the rate limit allows no other fetch yet.
    expect(idp.jwksFetches()).toBe(fetchesBefore);
  });
});

describe('the provider keys', () => {
  test('the provider rotates its signing keys and drops the old ones: a token with the new key id works at once', async () => {
    await using rotating = await hubFor({ AUTH_JWKS_REFETCH_MS: '0' });
    expect((await webApi(rotating, idp.token('alice', { role: 'viewer' })).get('/v1/me')).status).toBe(200);
    const fetches = idp.jwksFetches();
    await idp.rotate({ dropOld: true });
    const fresh = await idp.token('alice', { role: 'viewer' });
    expect(decodeProtectedHeader(fresh).kid).toBe('rs256-gen1');
    expect((await webApi(rotating, fresh).get('/v1/me')).status).toBe(200);
    expect(idp.jwksFetches()).toBe(fetches + 1);
  });

  test('an unknown key id makes one fetch once the rate limit allows, however many arrive', async () => {
    const clock = shiftedClock();
    await using limited = await hubFor({ AUTH_JWKS_REFETCH_MS: '30000' }, { clock });
    const { privateKey } = await generateKeyPair('ES256');
    const forged = (i: number) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: `forged-${i}` })
        .setIssuer(idp.issuer)
        .setAudience(idp.audience)
        .setSubject('alice')
        .setExpirationTime('5m')
        .sign(privateKey);
    const before = idp.jwksFetches();
    clock.shiftMs += 31_000;
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => (await webApi(limited, forged(i)).get('/v1/me')).status),
    );
    expect(answers).toEqual(Array(20).fill(401));
    expect(idp.jwksFetches()).toBe(before + 1);
    for (let i = 20; i < 30; i++) await webApi(limited, forged(i)).get('/v1/me');
    expect(idp.jwksFetches()).toBe(before + 1);
  });

  test('a provider unreachable at start is a startup error naming AUTH_ISSUER', async () => {
    idp.setDown(true);
    try {
      const start = startHub(
        parseConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_ISSUER: idp.issuer, AUTH_AUDIENCE: idp.audience }),
        { log: silentLog },
      );
      await expect(start).rejects.toThrow(
        `AUTH_ISSUER=${idp.issuer}: identity provider unreachable or misconfigured (${idp.issuer}/.well-known/openid-configuration answered 503)`,
      );
    } finally {
      idp.setDown(false);
    }
  });

  test('a provider unreachable later is a warning: tokens keep being checked with the cached keys', async () => {
    const clock = shiftedClock();
    const warnings: string[] = [];
    const log: Log = { ...silentLog, warn: (_fields, msg) => warnings.push(msg), child: () => log };
    await using cached = await hubFor({ AUTH_JWKS_MAX_AGE_MS: '60000' }, { clock, log });
    const token = await idp.token('alice', { role: 'viewer' });
    idp.setDown(true);
    try {
      clock.shiftMs += 61_000;
      expect((await webApi(cached, token).get('/v1/me')).status).toBe(200);
      await expect.poll(() => warnings).toContain('identity provider unreachable: keeping the cached keys');
      expect((await webApi(cached, token).get('/v1/me')).status).toBe(200);
    } finally {
      idp.setDown(false);
    }
  });
});

/** The real clock, moved forward by `shiftMs`: the hub's view of time, while the provider keeps the real one. */
function shiftedClock(): Clock & { shiftMs: number } {
  const clock = { ...systemClock, shiftMs: 0, now: () => systemClock.now() + clock.shiftMs };
  return clock;
}

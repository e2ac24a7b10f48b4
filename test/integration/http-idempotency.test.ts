import { describe, expect, test } from 'vitest';
import { startFleet } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { playOver, tokenFor, webApi, type WebApi } from '../helpers/web-api-client.ts';
import { WebApiQueue } from '../helpers/web-api-schemas.ts';

const queued = async (api: WebApi, uri: string) =>
  WebApiQueue.parse((await api.get('/v1/me/player/queue')).body).queue.filter((t) => t.uri === uri).length;

describe('HTTP player API: Idempotency-Key', () => {
  test('a retried command with the same Idempotency-Key is answered again and applied once', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    const key = { 'idempotency-key': 'add-kitchen-3' };
    const first = await api.post('/v1/me/player/queue?uri=demo:track:kitchen-3', undefined, key);
    const retry = await api.post('/v1/me/player/queue?uri=demo:track:kitchen-3', undefined, key);
    expect([first.status, retry.status]).toEqual([204, 204]);
    expect(retry.headers.get('x-correlation-id')).toBe(first.headers.get('x-correlation-id'));
    expect(await queued(api, 'demo:track:kitchen-3')).toBe(1);

    const trace = hub.hub.trace.read('alice');
    const id = first.headers.get('x-correlation-id')!;
    expect(trace.filter((e) => e.kind === 'message.in' && e.correlationId === id)).toHaveLength(2);
    // Two requests in, one change fanned out to the one device.
    expect(trace.filter((e) => e.kind === 'message.out' && e.type === 'cluster.update' && e.correlationId === id)).toHaveLength(1);
  });

  test('without an Idempotency-Key every request is a new command', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone']);
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    const a = await api.post('/v1/me/player/queue?uri=demo:track:kitchen-3');
    const b = await api.post('/v1/me/player/queue?uri=demo:track:kitchen-3');
    expect(a.headers.get('x-correlation-id')).not.toBe(b.headers.get('x-correlation-id'));
    expect(await queued(api, 'demo:track:kitchen-3')).toBe(2);
  });

  test('retries of a transfer still in flight wait for the same outcome, and only one transfer runs', async () => {
    await using hub = await startTestHub();
    await using _fleet = await startFleet(hub, 'alice', ['phone', 'speaker'], (i) => ({ loadDelayMs: i === 1 ? 300 : 0 }));
    const api = webApi(hub, tokenFor(hub, 'alice'));
    await playOver(api, 'phone-0');
    const key = { 'idempotency-key': 'move-to-speaker' };
    const results = await Promise.all([0, 50, 100].map(async (delay) => {
      await new Promise((r) => setTimeout(r, delay));
      return api.put('/v1/me/player', { device_ids: ['speaker-1'] }, key);
    }));
    expect(results.map((r) => r.status)).toEqual([204, 204, 204]);
    const prepares = hub.hub.trace.read('alice').filter((e) => e.kind === 'transfer.phase' && e.type === 'prepare');
    expect(prepares).toHaveLength(1);
    expect((await api.get('/v1/me/player')).body).toMatchObject({ device: { id: 'speaker-1' } });
  });

  test('the same key used by two users is two different commands', async () => {
    await using hub = await startTestHub();
    await using _alice = await startFleet(hub, 'alice', ['phone']);
    await using _bob = await startFleet(hub, 'bob', ['phone']);
    const key = { 'idempotency-key': 'morning' };
    const alice = webApi(hub, tokenFor(hub, 'alice'));
    const bob = webApi(hub, tokenFor(hub, 'bob'));
    const a = await alice.put('/v1/me/player', { device_ids: ['phone-0'] }, key);
    const b = await bob.put('/v1/me/player', { device_ids: ['phone-0'] }, key);
    expect([a.status, b.status]).toEqual([204, 204]);
    expect(a.headers.get('x-correlation-id')).not.toBe(b.headers.get('x-correlation-id'));
    expect((await bob.get('/v1/me/player')).body).toMatchObject({ device: { id: 'phone-0' } });
  });
});

import type { Cluster, HubMessage, Playback, Track } from '@handoff/protocol';
import { PROTOCOL_VERSION } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { HandoffClient } from './client.ts';
import type { PlayerPort } from './player.ts';
import type { WebSocketLike } from './socket.ts';

/** The hub side of an in-memory socket: what the client sent, and a way to answer. */
class FakeHub {
  readonly sockets: Array<{ url: string; socket: WebSocketLike; sent: Array<Record<string, unknown>> }> = [];
  factory = (url: string): WebSocketLike => {
    const entry = { url, sent: [] as Array<Record<string, unknown>>, socket: null as unknown as WebSocketLike };
    const socket: WebSocketLike = {
      readyState: 0,
      send: (text) => entry.sent.push(JSON.parse(text) as Record<string, unknown>),
      close: (code = 1000, reason = '') => {
        (socket as { readyState: number }).readyState = 3;
        socket.onclose?.({ code, reason });
      },
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
    };
    entry.socket = socket;
    this.sockets.push(entry);
    queueMicrotask(() => {
      (socket as { readyState: number }).readyState = 1;
      socket.onopen?.({});
    });
    return socket;
  };
  get last() {
    return this.sockets.at(-1)!;
  }
  say(message: HubMessage) {
    this.last.socket.onmessage?.({ data: JSON.stringify(message) });
  }
}

const track: Track = { uri: 't:1', name: 'One', artists: ['A'], album: 'B', durationMs: 200_000, mediaType: 'audio/track' };
const playback = (rate: 0 | 1, atServerTime = performance.timeOrigin + performance.now()): Playback => ({
  contextUri: null,
  track,
  position: { positionMs: 1000, atServerTime, rate },
  shuffle: false,
  repeat: 'off',
  upNext: [],
});
const cluster = (revision: number, activeDeviceId: string | null, pb = playback(1)): Cluster => ({
  userId: 'u',
  revision,
  activeDeviceId,
  devices: [],
  playback: pb,
});

/** A player that just records, and notes the server time of each start when told how to read it. */
function recordingPlayer() {
  const calls: string[] = [];
  const startedAt: number[] = [];
  const clock: { serverNow?: () => number } = {};
  let playing: { uri: string; from: number } | null = null;
  const player: PlayerPort = {
    prepare: () => Promise.resolve(),
    start: (t, pos, id) => {
      playing = { uri: t.uri, from: pos };
      if (clock.serverNow) startedAt.push(clock.serverNow());
      calls.push(`start ${t.uri} ${Math.round(pos)}${id ? ' ' + id : ''}`);
    },
    stop: (id) => {
      playing = null;
      calls.push(`stop${id ? ' ' + id : ''}`);
    },
    get playing() {
      return playing !== null;
    },
    get trackUri() {
      return playing?.uri ?? null;
    },
    positionMs: () => playing?.from ?? 0,
  };
  return { player, calls, startedAt, clock };
}

async function connected(opts: { now?: () => number; urls?: string[] } = {}) {
  const hub = new FakeHub();
  const { player, calls, startedAt, clock } = recordingPlayer();
  const client = new HandoffClient({
    urls: opts.urls ?? ['ws://hub/v1/connect'],
    token: 'tok',
    device: { id: 'd1', name: 'D', kind: 'speaker', capabilities: { canPlay: true, volumeSteps: 10, mediaTypes: ['audio/track'], controllable: true } },
    player,
    socket: hub.factory,
    maxBackoffMs: 10,
    ...(opts.now ? { clock: opts.now } : {}),
  });
  const done = client.connect();
  await new Promise((r) => setTimeout(r, 0));
  hub.say({ type: 'hub.welcome', protocolVersion: PROTOCOL_VERSION, deviceId: 'd1', serverTime: 0, heartbeatMs: 5000, graceMs: 10_000, cluster: cluster(5, null) });
  await done;
  clock.serverNow = () => client.serverNow();
  return { hub, client, calls, startedAt };
}

describe('HandoffClient', () => {
  test('says hello with its protocol version, id and capabilities, and the token in the URL', async () => {
    const { hub } = await connected();
    expect(hub.last.url).toContain('access_token=tok');
    expect(hub.last.sent[0]).toMatchObject({ type: 'device.hello', protocolVersion: PROTOCOL_VERSION, device: { id: 'd1' } });
  });

  test('ignores a cluster older than the one it has (fencing)', async () => {
    const { hub, client, calls } = await connected();
    hub.say({ type: 'cluster.update', reason: 'x', cluster: cluster(7, 'd1') });
    expect(calls).toHaveLength(1);
    hub.say({ type: 'cluster.update', reason: 'stale', cluster: cluster(6, null) });
    expect(client.staleIgnored).toBe(1);
    expect(client.cluster?.revision).toBe(7);
    expect(calls).toHaveLength(1);
  });

  test('answers clock pings with its own receive and send times, and converts with the estimate', async () => {
    let now = 50_000;
    const { hub, client } = await connected({ now: () => now });
    hub.say({ type: 'clock.ping', pingId: 3, t0: 1234 });
    expect(hub.last.sent.at(-1)).toEqual({ type: 'clock.pong', pingId: 3, t0: 1234, t1: 50_000, t2: 50_000 });
    hub.say({ type: 'clock.sync', offsetMs: 2000, errorMs: 1, rttMs: 2 });
    now = 52_000;
    expect(client.serverNow()).toBe(50_000);
  });

  test('starts at the scheduled server time on its own clock, from where the line is', async () => {
    const { hub, client, calls, startedAt } = await connected();
    hub.say({ type: 'clock.sync', offsetMs: -3000, errorMs: 1, rttMs: 2 });
    hub.say({ type: 'transfer.prepare', transferId: 'tr', playback: playback(1), volume: 40, deadline: 0 });
    await new Promise((r) => setTimeout(r, 0));
    expect(hub.last.sent.at(-1)).toEqual({ type: 'transfer.ready', transferId: 'tr' });
    const at = client.serverNow() + 30;
    hub.say({ type: 'transfer.switch', transferId: 'tr', role: 'start', atServerTime: at, positionMs: 9000 });
    expect(calls).toEqual([]);
    await client.waitFor(() => calls.length > 0, 1000);
    const late = startedAt[0]! - at;
    expect(late).toBeGreaterThanOrEqual(0);
    // However late the timer fired, the player starts where the line is at that instant.
    const started = /^start t:1 (\d+) tr$/.exec(calls[0]!);
    expect(Math.abs(Number(started?.[1]) - (9000 + late))).toBeLessThanOrEqual(1);
    expect(hub.last.sent.at(-1)).toMatchObject({ type: 'transfer.started', transferId: 'tr' });
  });

  test('a source that stopped for an aborted transfer resumes on the line it was given', async () => {
    const { hub, client, calls } = await connected();
    const line = cluster(8, 'd1');
    hub.say({ type: 'cluster.update', reason: 'x', cluster: line });
    hub.say({ type: 'transfer.switch', transferId: 'tr', role: 'stop', atServerTime: client.serverNow(), positionMs: 0 });
    await client.waitFor(() => calls.includes('stop tr'), 1000);
    hub.say({ type: 'transfer.abort', transferId: 'tr', code: 'TRANSFER_TIMEOUT', resumeAt: line.playback.position });
    expect(calls.slice(1)).toEqual(['stop tr', expect.stringMatching(/^start t:1 10\d\d tr$/)]);
  });

  test('reconnects to the next hub after a close, with what it plays in its hello', async () => {
    const { hub, client } = await connected({ urls: ['ws://a/v1/connect', 'ws://b/v1/connect'] });
    hub.say({ type: 'cluster.update', reason: 'x', cluster: cluster(9, 'd1') });
    hub.last.socket.close(1006, 'gone');
    await new Promise((r) => setTimeout(r, 30));
    expect(hub.sockets).toHaveLength(2);
    expect(hub.last.url).toContain('ws://b/');
    expect(hub.last.sent[0]).toMatchObject({ type: 'device.hello', resume: { revision: 9, playing: true } });
    expect(client.connected).toBe(false);
  });

  test('does not reconnect when replaced by another connection of the same device', async () => {
    const { hub } = await connected();
    hub.last.socket.close(4013, 'replaced');
    await new Promise((r) => setTimeout(r, 30));
    expect(hub.sockets).toHaveLength(1);
  });
});

describe('HandoffClient without a hub', () => {
  test('goes silent once it has heard nothing from any hub for the grace period', async () => {
    let now = 1_000_000;
    const { hub, client, calls } = await connected({ now: () => now });
    hub.say({ type: 'hub.welcome', protocolVersion: PROTOCOL_VERSION, deviceId: 'd1', serverTime: 0, heartbeatMs: 1000, graceMs: 5000, cluster: cluster(6, 'd1', playback(1, now)) });
    expect(calls).toHaveLength(1);
    hub.last.socket.close(1006, 'network gone');
    now += 4000;
    await new Promise((r) => setTimeout(r, 1100));
    expect(calls).toHaveLength(1);
    now += 1000;
    await new Promise((r) => setTimeout(r, 1100));
    expect(calls.at(-1)).toBe('stop');
    client.close();
  });
});

describe('HandoffClient commands across a reconnect', () => {
  test('a command the hub refused as unreadable is answered by the error naming its id, and not resent', async () => {
    const { hub, client } = await connected({ urls: ['ws://a/v1/connect'] });
    const result = client.command({ type: 'command.pause', commandId: 'p-bad' });
    hub.say({ type: 'error', code: 'BAD_REQUEST', message: 'x: invalid', ref: 'command.pause', commandId: 'p-bad' });
    await expect(result).resolves.toMatchObject({ ok: false, code: 'BAD_REQUEST', commandId: 'p-bad' });
    hub.last.socket.close(1006, 'gone');
    await new Promise((r) => setTimeout(r, 300));
    hub.say({ type: 'hub.welcome', protocolVersion: PROTOCOL_VERSION, deviceId: 'd1', serverTime: 0, heartbeatMs: 5000, graceMs: 10_000, cluster: cluster(5, null) });
    expect(hub.sockets.length).toBeGreaterThan(1);
    expect(hub.sockets.flatMap((s) => s.sent).filter((m) => m.commandId === 'p-bad')).toHaveLength(1);
    client.close();
  });

  test('resends an unanswered command with the same id once it is welcomed again', async () => {
    const { hub, client } = await connected({ urls: ['ws://a/v1/connect'] });
    const result = client.command({ type: 'command.pause', commandId: 'p-1' });
    expect(hub.last.sent.at(-1)).toMatchObject({ type: 'command.pause', commandId: 'p-1' });
    hub.last.socket.close(1006, 'gone');
    await new Promise((r) => setTimeout(r, 30));
    hub.say({ type: 'hub.welcome', protocolVersion: PROTOCOL_VERSION, deviceId: 'd1', serverTime: 0, heartbeatMs: 5000, graceMs: 10_000, cluster: cluster(5, null) });
    expect(hub.last.sent.at(-1)).toMatchObject({ type: 'command.pause', commandId: 'p-1' });
    hub.say({ type: 'command.result', commandId: 'p-1', ok: true, revision: 5 });
    await expect(result).resolves.toMatchObject({ ok: true });
    client.close();
  });
});

import type { Cluster, Command } from '@handoff/protocol';
import type { Principal } from '../auth/token.ts';
import { HubError } from '../errors.ts';
import type { Hub } from '../hub.ts';
import type { RateLimiter } from '../limits/rate-limit.ts';
import { apiHandler, noContent, sendError, type ApiCall } from './api-request.ts';
import {
  DeviceQuery,
  deviceIdOf,
  parse,
  PlayBody,
  queryOf,
  QueueQuery,
  ReadQuery,
  RepeatQuery,
  SeekQuery,
  ShuffleQuery,
  TransferBody,
  VolumeQuery,
} from './player-requests.ts';
import { addGroupRoutes } from './group-routes.ts';
import { json, readJson } from './respond.ts';
import type { RouteContext, Router } from './router.ts';
import { reasonOf } from './status-of.ts';
import { currentlyPlaying, groupAsDeviceInfo, playbackState, queueObject, userObject, webApiDevices, type ShapeOptions } from './web-api-shapes.ts';

export interface PlayerRouteDeps {
  hub: Hub;
  limiter: RateLimiter;
}

type CommandInput = Command extends infer C ? (C extends Command ? Omit<C, 'commandId'> : never) : never;

/**
 * The Spotify-Web-API-compatible player endpoints under /v1/me. Reads answer from the user's live
 * session; every command runs through the same session machine as a device's command and is
 * answered (204, or an error with the reason) only once it is committed or refused.
 */
export function addPlayerRoutes(router: Router, auth: (ctx: RouteContext) => Promise<Principal>, deps: PlayerRouteDeps): void {
  const { hub } = deps;
  const api = (handle: (call: ApiCall) => Promise<void> | void) => apiHandler({ auth, limiter: deps.limiter, metrics: hub.metrics }, handle);
  /** The user's cluster as it is now, from whichever node owns the session (never opening one). */
  const cluster = async (call: ApiCall) => (await hub.readCluster(call.userId)) ?? emptyCluster(call.userId);
  const shape = (call: ApiCall): ShapeOptions => ({
    base: call.base,
    now: hub.clock.now(),
    episodes: (parse(ReadQuery, queryOf(call.url)).additional_types ?? '').split(',').includes('episode'),
  });
  /** Run a command as the user and answer once it is committed (204) or refused. */
  const run = async (call: ApiCall, input: CommandInput) => {
    const command: Command = { ...input, commandId: call.correlationId };
    const result = await hub.command(call.userId, command, originOf(call.principal));
    if (result.ok) return noContent(call.res);
    sendError(call.res, result.code, result.message, {}, reasonOf(result.code, command.type));
  };
  /** A command about what the active device plays: a `device_id`, when given, must name it. */
  const onActive = async (call: ApiCall, input: CommandInput) => {
    const { device_id } = parse(DeviceQuery, queryOf(call.url));
    if (device_id !== undefined) requireActive(await cluster(call), deviceIdOf(device_id));
    return run(call, input);
  };
  const body = async (call: ApiCall): Promise<unknown> => (await readJson(call.req)) ?? {};

  router.add('GET', '/v1/me', api((call) => json(call.res, 200, userObject(call.userId, call.base))));
  router.add('GET', '/v1/me/player/devices', api(async (call) => json(call.res, 200, { devices: webApiDevices(await cluster(call)) })));
  router.add('GET', '/v1/me/player', api(async (call) => orNoContent(call, playbackState(await cluster(call), shape(call)))));
  router.add('GET', '/v1/me/player/currently-playing', api(async (call) => orNoContent(call, currentlyPlaying(await cluster(call), shape(call)))));
  router.add('GET', '/v1/me/player/queue', api(async (call) => json(call.res, 200, queueObject(await cluster(call), call.base))));

  router.add('PUT', '/v1/me/player', api(async (call) => {
    const { device_ids, play } = parse(TransferBody, await body(call));
    await run(call, { type: 'command.transfer', deviceId: deviceIdOf(device_ids[0]!), play });
  }));
  router.add('PUT', '/v1/me/player/play', api(async (call) => {
    const { device_id } = parse(DeviceQuery, queryOf(call.url));
    const b = parse(PlayBody, await body(call));
    await run(call, {
      type: 'command.play',
      deviceId: device_id === undefined ? undefined : deviceIdOf(device_id),
      contextUri: b.context_uri,
      uris: b.uris,
      offset: b.offset,
      positionMs: b.position_ms,
    });
  }));
  router.add('PUT', '/v1/me/player/pause', api((call) => onActive(call, { type: 'command.pause' })));
  router.add('POST', '/v1/me/player/next', api((call) => onActive(call, { type: 'command.next' })));
  router.add('POST', '/v1/me/player/previous', api((call) => onActive(call, { type: 'command.previous' })));
  router.add('PUT', '/v1/me/player/seek', api((call) => {
    const q = parse(SeekQuery, queryOf(call.url));
    return onActive(call, { type: 'command.seek', positionMs: q.position_ms });
  }));
  router.add('PUT', '/v1/me/player/shuffle', api((call) => onActive(call, { type: 'command.shuffle', state: parse(ShuffleQuery, queryOf(call.url)).state })));
  router.add('PUT', '/v1/me/player/repeat', api((call) => onActive(call, { type: 'command.repeat', state: parse(RepeatQuery, queryOf(call.url)).state })));
  router.add('POST', '/v1/me/player/queue', api((call) => onActive(call, { type: 'command.queue', uri: parse(QueueQuery, queryOf(call.url)).uri })));
  router.add('PUT', '/v1/me/player/volume', api((call) => {
    const q = parse(VolumeQuery, queryOf(call.url));
    // Volume may target any of the user's devices, active or not.
    return run(call, { type: 'command.volume', volumePercent: q.volume_percent, deviceId: q.device_id === undefined ? undefined : deviceIdOf(q.device_id) });
  }));
  addGroupRoutes(router, api, hub, cluster, (call) => originOf(call.principal));
}

function orNoContent(call: ApiCall, body: object | null): void {
  if (body) json(call.res, 200, body);
  else noContent(call.res);
}

/** Where an HTTP command comes from, in the trace; `/` never occurs in a device id. */
const originOf = (p: Principal) => `http/${p.role}/${p.userId}`;

function requireActive(c: Cluster, deviceId: string): void {
  const group = c.groups?.find((g) => g.id === deviceId);
  const device = c.devices.find((d) => d.id === deviceId) ?? (group ? groupAsDeviceInfo(c, group) : undefined);
  if (!device) throw new HubError({ code: 'DEVICE_NOT_FOUND', message: `no device ${deviceId}` });
  if (!device.online) throw new HubError({ code: 'DEVICE_OFFLINE', message: `device ${deviceId} is offline` });
  if (c.activeDeviceId !== deviceId) {
    throw new HubError({ code: 'NO_ACTIVE_DEVICE', message: `device ${deviceId} is not the active device: transfer playback to it first` });
  }
}

/** What a user with no open session has: no devices, nothing loaded. */
function emptyCluster(userId: string): Cluster {
  return {
    userId,
    revision: 0,
    activeDeviceId: null,
    devices: [],
    playback: { contextUri: null, track: null, position: { positionMs: 0, atServerTime: 0, rate: 0 }, shuffle: false, repeat: 'off', upNext: [] },
    groups: [],
  };
}

import { DeviceId, GroupMembers, GroupName, type Cluster, type GroupInfo } from '@handoff/protocol';
import { z } from 'zod';
import { HubError } from '../errors.ts';
import type { Hub } from '../hub.ts';
import { noContent, sendError, type ApiCall } from './api-request.ts';
import { parse } from './player-requests.ts';
import { json, readJson } from './respond.ts';
import type { Handler, Router } from './router.ts';
import { reasonOf } from './status-of.ts';

/**
 * Groups over HTTP, an extension of the Web API's player endpoints (the reference has none):
 * create, list, rename or re-member, delete. Each write runs as a `command.group.*` through the
 * user's session, like a device's, and is answered once committed or refused.
 */

const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);
const GroupBody = z.object({ name: GroupName, device_ids: GroupMembers });
const GroupUpdateBody = z
  .object({ name: optional(GroupName), device_ids: optional(GroupMembers) })
  .refine((b) => b.name !== undefined || b.device_ids !== undefined, { message: 'give name or device_ids' });

/** A group as the group endpoints spell it. */
export function groupObject(c: Cluster, g: GroupInfo) {
  return { id: g.id, name: g.name, device_ids: g.deviceIds, is_active: c.activeDeviceId === g.id, playing_device_ids: g.playingIds };
}

type Api = (handle: (call: ApiCall) => Promise<void> | void) => Handler;

export function addGroupRoutes(router: Router, api: Api, hub: Hub, cluster: (call: ApiCall) => Promise<Cluster>, originOf: (call: ApiCall) => string): void {
  const body = async (call: ApiCall): Promise<unknown> => (await readJson(call.req)) ?? {};
  const groupIdOf = (call: ApiCall): string => {
    const id = call.params['id'] ?? '';
    if (!DeviceId.safeParse(id).success) throw new HubError({ code: 'DEVICE_NOT_FOUND', message: `no group ${id.slice(0, 64)}` });
    return id;
  };
  const find = async (call: ApiCall, id: string) => {
    const c = await cluster(call);
    const g = c.groups?.find((x) => x.id === id);
    if (!g) throw new HubError({ code: 'DEVICE_NOT_FOUND', message: `no group ${id}` });
    return groupObject(c, g);
  };
  type GroupInput =
    | { type: 'command.group.create'; name: string; deviceIds: string[] }
    | { type: 'command.group.update'; groupId: string; name?: string; deviceIds?: string[] }
    | { type: 'command.group.delete'; groupId: string };
  /** Run a group command; the result when it committed, else the error is answered and null returned. */
  const run = async (call: ApiCall, input: GroupInput) => {
    const result = await hub.command(call.userId, { ...input, commandId: call.correlationId }, originOf(call));
    if (result.ok) return result;
    sendError(call.res, result.code, result.message, {}, reasonOf(result.code, input.type));
    return null;
  };

  router.add('GET', '/v1/me/player/groups', api(async (call) => {
    const c = await cluster(call);
    json(call.res, 200, { groups: (c.groups ?? []).map((g) => groupObject(c, g)) });
  }));
  router.add('POST', '/v1/me/player/groups', api(async (call) => {
    const b = parse(GroupBody, await body(call));
    const result = await run(call, { type: 'command.group.create', name: b.name, deviceIds: b.device_ids });
    if (result?.ok) json(call.res, 201, { id: result.groupId, name: b.name, device_ids: b.device_ids });
  }));
  router.add('PUT', '/v1/me/player/groups/:id', api(async (call) => {
    const groupId = groupIdOf(call);
    const b = parse(GroupUpdateBody, await body(call));
    const result = await run(call, { type: 'command.group.update', groupId, name: b.name, deviceIds: b.device_ids });
    if (result) json(call.res, 200, await find(call, groupId));
  }));
  router.add('DELETE', '/v1/me/player/groups/:id', api(async (call) => {
    if (await run(call, { type: 'command.group.delete', groupId: groupIdOf(call) })) noContent(call.res);
  }));
}

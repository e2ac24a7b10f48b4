import { CloseCode, DeviceId } from '@handoff/protocol';
import { z } from 'zod';
import type { Principal } from '../auth/token.ts';
import { HubError } from '../errors.ts';
import type { Hub } from '../hub.ts';
import type { RateLimiter } from '../limits/rate-limit.ts';
import type { Log } from '../log.ts';
import { apiHandler, noContent, type ApiCall } from './api-request.ts';
import { json } from './respond.ts';
import type { RouteContext, Router } from './router.ts';

export interface AdminDeps {
  hub: Hub;
  limiter: RateLimiter;
  log: Log;
  nodeId: string;
}

const UserId = z.string().min(1).max(128).regex(/^[A-Za-z0-9._@-]+$/);
/** A WebSocket close reason is at most 123 bytes. */
const Reason = z
  .string()
  .min(1)
  .refine((r) => Buffer.byteLength(r) <= 100, 'reason: at most 100 bytes');
const DEFAULT_REASON = 'disconnected by an operator';

/**
 * Operator endpoints, for admin tokens only (`npm run token -- --user ops --role admin`), each
 * written to the log with who did it:
 * - `GET /v1/admin/users/:userId`: the user's session on this hub, their devices and groups, the
 *   device connections open here (with each clock estimate), what the trace ring holds, and
 *   whether this hub knows the user at all.
 * - `DELETE /v1/admin/users/:userId/devices/:deviceId?reason=...`: disconnect the device; its
 *   socket closes with 4040 KICKED and the reason (the client library does not reconnect).
 */
export function adminRoutes(router: Router, auth: (ctx: RouteContext) => Promise<Principal>, deps: AdminDeps): void {
  const { hub, log } = deps;
  const admin = (handle: (call: ApiCall, userId: string) => void) =>
    apiHandler({ auth, limiter: deps.limiter, metrics: hub.metrics }, (call) => {
      if (call.principal.role !== 'admin') throw new HubError({ code: 'FORBIDDEN', message: 'an admin token is needed for /v1/admin' });
      const userId = UserId.safeParse(call.params['userId']);
      if (!userId.success) throw new HubError({ code: 'BAD_REQUEST', message: 'userId: letters, digits and . _ @ - only' });
      handle(call, userId.data);
    });
  const audit = (call: ApiCall, action: string, fields: object, msg: string) =>
    log.info({ audit: action, admin: call.principal.userId, correlationId: call.correlationId, ...fields }, msg);

  router.add('GET', '/v1/admin/users/:userId', admin((call, userId) => {
    audit(call, 'admin.read', { userId }, 'admin looked up a user');
    json(call.res, 200, userReport(hub, userId, deps.nodeId), { 'cache-control': 'no-store' });
  }));

  router.add('DELETE', '/v1/admin/users/:userId/devices/:deviceId', admin((call, userId) => {
    const deviceId = DeviceId.safeParse(call.params['deviceId']);
    if (!deviceId.success) throw new HubError({ code: 'BAD_REQUEST', message: 'deviceId is not a valid device id' });
    const given = call.url.searchParams.get('reason');
    const reason = given === null ? { success: true as const, data: DEFAULT_REASON } : Reason.safeParse(given);
    if (!reason.success) throw new HubError({ code: 'BAD_REQUEST', message: 'reason: 1 to 100 bytes' });
    const connections = hub.connectionsOf(userId).filter((c) => c.deviceId === deviceId.data);
    if (connections.length === 0) {
      throw new HubError({ code: 'DEVICE_NOT_FOUND', message: `device ${deviceId.data} of ${userId} is not connected to this hub` });
    }
    for (const conn of connections) conn.close(CloseCode.KICKED, reason.data);
    audit(call, 'admin.kick', { userId, deviceId: deviceId.data, reason: reason.data }, 'admin disconnected a device');
    noContent(call.res);
  }));
}

/** What an operator sees of a user on this hub. */
export function userReport(hub: Hub, userId: string, nodeId: string) {
  const session = hub.openSession(userId);
  const ctx = session?.context;
  const connections = hub.connectionsOf(userId);
  const lastSeq = hub.trace.lastSeq(userId);
  return {
    userId,
    node: nodeId,
    /** Whether this hub knows the user at all: a session, a connection or a trace (the viewer says "no such user" otherwise). */
    known: session !== null || connections.length > 0 || lastSeq > 0,
    /** What this hub's trace ring holds of the user (lastSeq 0: no events yet). */
    trace: { firstSeq: hub.trace.firstSeq(userId), lastSeq, bootId: hub.trace.bootId },
    session: ctx
      ? {
          state: session.state,
          revision: ctx.revision,
          activeDeviceId: ctx.activeDeviceId,
          playing: ctx.position.rate > 0 && ctx.queue.current !== null,
          track: ctx.queue.current?.uri ?? null,
          transfer: ctx.transfer
            ? { id: ctx.transfer.id, targetId: ctx.transfer.targetId, sourceId: ctx.transfer.sourceId, startedAt: ctx.transfer.startedAt, switchAt: ctx.transfer.switchAt ?? null }
            : null,
        }
      : null,
    devices: ctx
      ? Object.values(ctx.devices).map((d) => ({
          id: d.id,
          name: d.name,
          kind: d.kind,
          online: d.online,
          connected: d.connId !== null,
          active: ctx.activeDeviceId === d.id,
          /** The group it is a member of, if any. */
          groupId: Object.values(ctx.groups).find((g) => g.memberIds.includes(d.id))?.id ?? null,
          volume: d.volume,
          lastSeenAt: d.lastSeenAt,
        }))
      : [],
    /** The user's groups: members, the members taking part in its playback, and whether it is the active device. */
    groups: ctx
      ? Object.values(ctx.groups).map((g) => ({ id: g.id, name: g.name, memberIds: g.memberIds, playingIds: g.playingIds, active: ctx.activeDeviceId === g.id }))
      : [],
    connections: connections.map((c) => {
      const clock = c.clock.estimate();
      return {
        id: c.id,
        deviceId: c.deviceId,
        address: c.address,
        lastHeardAt: c.lastHeardAt,
        clock: clock ? { offsetMs: clock.offsetMs, errorMs: clock.errorMs, rttMs: clock.rttMs, driftPpm: clock.driftPpm } : null,
      };
    }),
  };
}

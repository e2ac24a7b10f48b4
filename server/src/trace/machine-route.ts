import type { Principal } from '../auth/token.ts';
import type { Hub } from '../hub.ts';
import { BodyError } from '../http/respond.ts';
import type { RouteContext, Router } from '../http/router.ts';
import { createSessionMachine } from '../session/session-machine.ts';

/**
 * `GET /v1/trace/machine` (viewer or admin token): the session machine's definition, XState's
 * `machine.toJSON()` (states, and per state the events it takes with guard, target and actions),
 * so the viewer draws the statechart the hub runs. The same for every user; made once.
 */
export function machineRoute(router: Router, auth: (ctx: RouteContext) => Promise<Principal>, hub: Hub): void {
  let body: string | null = null;
  router.add('GET', '/v1/trace/machine', async (ctx) => {
    const principal = await auth(ctx);
    if (principal.role !== 'viewer' && principal.role !== 'admin') throw new BodyError(403, 'a viewer or admin token is needed to read the session machine');
    body ??= JSON.stringify(createSessionMachine(hub.settings.session).toJSON());
    ctx.res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    ctx.res.end(body);
  });
}

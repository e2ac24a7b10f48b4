import { PROTOCOL_VERSION, TRACE_FORMAT_VERSION, type HubInfo } from '@handoff/protocol';
import { json } from './respond.ts';
import { apiHandler, type ApiDeps } from './api-request.ts';
import type { Router } from './router.ts';

/** `GET /v1/info`, public: dev mode or not (the viewer offers a user picker only in dev mode), versions, node. */
export function infoRoute(router: Router, info: { devMode: boolean; nodeId?: string; oidc?: HubInfo['oidc'] }): void {
  const body: HubInfo = {
    devMode: info.devMode,
    protocolVersion: PROTOCOL_VERSION,
    traceFormatVersion: TRACE_FORMAT_VERSION,
    ...(info.nodeId ? { nodeId: info.nodeId } : {}),
    ...(info.oidc ? { oidc: info.oidc } : {}),
  };
  router.add('GET', '/v1/info', ({ res }) => json(res, 200, body, { 'cache-control': 'no-store' }));
}

/** `GET /v1/whoami`: who a token is to this hub, as it verified it (the viewer asks after an identity provider sign-in). */
export function whoamiRoute(router: Router, deps: ApiDeps): void {
  router.add(
    'GET',
    '/v1/whoami',
    apiHandler(deps, (call) =>
      json(call.res, 200, { user: call.principal.userId, role: call.principal.role }, { 'cache-control': 'no-store' }),
    ),
  );
}

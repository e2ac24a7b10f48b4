import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CloseCode } from '@handoff/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { Authenticator } from '../auth/authenticator.ts';
import { bearerToken, Role, signToken, type Principal } from '../auth/token.ts';
import { toHubError } from '../errors.ts';
import type { Hub } from '../hub.ts';
import type { Log } from '../log.ts';
import type { ClientAddress } from './client-address.ts';
import { cors } from './cors.ts';
import { DeviceSocket } from './device-socket.ts';
import { apiError, BodyError, json, readJson } from './respond.ts';
import { Router, type Handler, type RouteContext } from './router.ts';
import { refuseUpgrade, type UpgradeLimits } from './upgrade-limits.ts';

export interface AppOptions {
  hub: Hub;
  log: Log;
  /** Checks every bearer token: the hub's HS256 ones and, with AUTH_ISSUER, the identity provider's. */
  authenticator: Authenticator;
  /** Signs dev-mode tokens. */
  secret: string;
  /** No secret configured: `POST /v1/dev/token` mints tokens for anyone. */
  devMode: boolean;
  maxPayloadBytes: number;
  /** Who a request comes from (the peer, or the client a trusted proxy names). */
  clientAddress: ClientAddress;
  /** New sockets per second per client address and per user. */
  upgradeLimits: UpgradeLimits;
  /** Extra routes (HTTP API, trace export, viewer files), added by later layers. */
  routes?: (router: Router, auth: (ctx: RouteContext) => Promise<Principal>) => void;
  /** Extra WebSocket endpoints (e.g. the trace socket). */
  sockets?: SocketRoute[];
  /** Answers requests no route matched (the viewer's files); without it they get a JSON 404. */
  fallback?: Handler;
}

/** A WebSocket endpoint: its path, the token roles it admits, and what to do with an admitted socket. */
export interface SocketRoute {
  path: string;
  roles: Role[];
  attach(ws: WebSocket, principal: Principal, url: URL, req: IncomingMessage, address: string): void;
}

const DevTokenRequest = z.object({ user: z.string().min(1).max(128).regex(/^[A-Za-z0-9._@-]+$/), role: Role.default('device') });
const TOKEN_TTL_S = 3600;

/** The HTTP server: health, dev tokens, the device socket at /v1/connect, and whatever `routes` adds. */
export function createApp(opts: AppOptions): Server {
  const { hub, log, secret, authenticator } = opts;
  const router = new Router();
  const auth = async (ctx: RouteContext): Promise<Principal> => {
    const token = bearerToken(ctx.req.headers, ctx.url);
    if (!token) throw new BodyError(401, 'missing bearer token');
    try {
      return await authenticator.verify(token);
    } catch (err) {
      throw new BodyError(401, toHubError(err).message);
    }
  };

  router.add('GET', '/healthz', ({ res }) => json(res, 200, { status: 'ok' }));
  if (opts.devMode) {
    router.add('POST', '/v1/dev/token', async ({ req, res }) => {
      const body = DevTokenRequest.safeParse((await readJson(req)) ?? {});
      if (!body.success) return apiError(res, 400, `user: letters, digits and . _ @ - only; role: device, viewer or admin`);
      const access_token = await signToken(secret, { userId: body.data.user, role: body.data.role }, TOKEN_TTL_S);
      json(res, 200, { access_token, token_type: 'Bearer', expires_in: TOKEN_TTL_S });
    });
  }
  opts.routes?.(router, auth);

  const server = createServer((req, res) => {
    if (cors(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://hub');
    const found = router.match(req.method ?? 'GET', url.pathname) ?? (opts.fallback ? { handler: opts.fallback, params: {} } : null);
    if (found === null) return apiError(res, 404, 'Service not found');
    if (found === 'method') return apiError(res, 405, 'Method not allowed');
    // Through a promise even when the handler throws synchronously, so the catch below sees it.
    new Promise<void>((resolve) => resolve(found.handler({ req, res, url, params: found.params }))).catch((err: unknown) => {
      if (res.headersSent) return void res.end();
      if (err instanceof BodyError) return apiError(res, err.status, err.message);
      log.error({ err, method: req.method, path: url.pathname, correlationId: res.getHeader('x-correlation-id') }, 'request failed');
      apiError(res, 500, 'internal error');
    });
  });

  const sockets: SocketRoute[] = [
    // Viewer tokens may register a device too, as their own user: "play in this browser" from the
    // viewer. Admin tokens may not (4003): a token that reads every user's traces never sits in a device.
    {
      path: '/v1/connect',
      roles: ['device', 'viewer'],
      // A socket the hub cuts off for abuse costs its user new sockets (UpgradeLimits.penalize).
      attach: (ws, principal, _url, req, address) =>
        attach(ws, hub.connectDevice(new DeviceSocket(ws, req.socket, opts.upgradeLimits, principal.userId), principal, address)),
    },
    ...(opts.sockets ?? []),
  ];
  // An address storming the upgrade past its answered refusals is refused at TCP accept, before
  // the HTTP parser reads a byte (UpgradeLimits.accept): held unread for a while, then reset.
  // Every connection starts paused (net.Server's `pauseOnConnect`, which http.createServer does
  // not take as an option) and is let go here, ahead of Node's own listener: a socket it paused
  // is never read by the parser that listener gives it, one it resumed is read as ever.
  Object.assign(server, { pauseOnConnect: true });
  server.prependListener('connection', (socket: Socket) => {
    const address = opts.clientAddress.ofPeer(socket.remoteAddress);
    if (address === null || opts.upgradeLimits.accept(address)) return void socket.resume();
    hub.metrics.refused('accept', 'RATE_LIMITED');
    if (!opts.upgradeLimits.held.hold(address, socket)) socket.resetAndDestroy();
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: opts.maxPayloadBytes, clientTracking: false });
  server.on('upgrade', (req, socket: Duplex, head) => {
    // Rate first, before the URL or the token is read: a storm from one address costs a map lookup each.
    const address = opts.clientAddress.of(req);
    const byAddress = opts.upgradeLimits.address(address);
    if (!byAddress.ok) return refused(socket, byAddress.retryAfterMs, 'too many new connections from this address');
    const url = new URL(req.url ?? '/', 'http://hub');
    const route = sockets.find((s) => s.path === url.pathname);
    if (!route) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    // A reset while the token is checked must not reach the process as an unhandled 'error'.
    const early = () => socket.destroy();
    socket.on('error', early);
    admit(route, bearerToken(req.headers, url))
      .then((admitted) => {
        socket.off('error', early);
        if (socket.destroyed) return;
        if ('principal' in admitted) {
          const byUser = opts.upgradeLimits.user(admitted.principal.userId);
          if (!byUser.ok) return refused(socket, byUser.retryAfterMs, 'too many new connections for this user');
        }
        // Accept, then close with a code: browsers cannot read the status of a refused upgrade.
        wss.handleUpgrade(req, socket, head, (ws) => {
          if ('refusal' in admitted) return ws.close(admitted.refusal.code, admitted.refusal.reason);
          countSocket(hub, ws, route.path);
          route.attach(ws, admitted.principal, url, req, address);
        });
      })
      // Never let one upgrade take the process down.
      .catch((err: unknown) => {
        log.error({ err, path: url.pathname }, 'socket upgrade failed');
        socket.destroy();
      });
  });
  const admit = async (route: SocketRoute, token: string | null): Promise<{ principal: Principal } | { refusal: { code: number; reason: string } }> => {
    if (!token) return { refusal: { code: CloseCode.UNAUTHORIZED, reason: 'missing token' } };
    try {
      const principal = await authenticator.verify(token);
      if (!route.roles.includes(principal.role)) return { refusal: { code: CloseCode.FORBIDDEN, reason: `a ${route.roles.join(' or ')} token is needed here` } };
      return { principal };
    } catch (err) {
      return { refusal: { code: CloseCode.UNAUTHORIZED, reason: toHubError(err).message } };
    }
  };
  const refused = (socket: Duplex, retryAfterMs: number, message: string) => {
    hub.metrics.refused('upgrade', 'RATE_LIMITED');
    refuseUpgrade(socket, retryAfterMs, message);
  };
  return server;
}

/**
 * Count the socket open until it closes. Out here, not inline in the upgrade handler: a listener
 * made there would keep that handler's scope (the request, its headers, the token) alive for the
 * socket's whole life, a few KB per connection.
 */
function countSocket(hub: Hub, ws: WebSocket, path: string): void {
  hub.metrics.socketOpened(path);
  ws.once('close', () => hub.metrics.socketClosed(path));
}

function attach(ws: WebSocket, conn: ReturnType<Hub['connectDevice']>) {
  ws.on('message', (data, isBinary) => {
    try {
      conn.receive(Array.isArray(data) ? Buffer.concat(data) : (data as Buffer), isBinary);
    } catch (err) {
      // Never let one frame take the process down.
      conn.close(CloseCode.INTERNAL, toHubError(err).message);
    }
  });
  ws.on('close', () => conn.onClosed());
  ws.on('error', () => conn.onClosed());
}

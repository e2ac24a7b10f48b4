import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { fileURLToPath } from 'node:url';
import { createApp } from './http/app.ts';
import { infoRoute } from './http/info.ts';
import { addPlayerRoutes } from './http/player-routes.ts';
import { viewerFiles } from './http/viewer-files.ts';
import { Hub } from './hub.ts';
import { DEFAULT_HUB_SETTINGS } from './hub-settings.ts';
import { RateLimiter } from './limits/rate-limit.ts';
import { jsonLog, type Log } from './log.ts';
import { MemoryStore } from './store/memory-store.ts';
import type { Store } from './store/store.ts';
import { traceExportRoutes } from './trace/export-routes.ts';
import { TraceLog } from './trace/trace-log.ts';
import { traceSocket } from './trace/trace-socket.ts';

/** The built viewer, served at `/`. */
const VIEWER_DIST = fileURLToPath(new URL('../../viewer/dist', import.meta.url));

export interface RunningHub {
  hub: Hub;
  server: Server;
  port: number;
  /** http://host:port */
  url: string;
  /** ws://host:port/v1/connect */
  wsUrl: string;
  secret: string;
  devMode: boolean;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Build the store, trace log, hub and HTTP server from a config, and listen. The one place that wires real things. */
export async function startHub(config: Config, deps: { log?: Log; clock?: Clock; store?: Store; viewerDir?: string } = {}): Promise<RunningHub> {
  const log = deps.log ?? jsonLog(config.LOG_LEVEL, { node: config.NODE_ID });
  const clock = deps.clock ?? systemClock;
  const devMode = !config.HUB_SECRET;
  const secret = config.HUB_SECRET ?? randomBytes(32).toString('hex');
  const store = deps.store ?? new MemoryStore();
  const trace = new TraceLog(() => clock.now(), {
    maxEventsPerUser: config.TRACE_MAX_EVENTS_PER_USER,
    maxAgeMs: config.TRACE_MAX_AGE_MS,
    maxBytes: config.TRACE_MAX_BYTES,
  });
  const hub = new Hub({
    clock,
    store,
    trace,
    log,
    settings: {
      ...DEFAULT_HUB_SETTINGS,
      heartbeatMs: config.HEARTBEAT_MS,
      framesPerSec: config.DEVICE_FRAME_RATE,
      frameBurst: config.DEVICE_FRAME_BURST,
      commandsPerSec: config.USER_COMMAND_RATE,
      commandBurst: config.USER_COMMAND_BURST,
      maxConnectionsPerAddress: config.MAX_CONNECTIONS_PER_ADDRESS,
      session: {
        ...DEFAULT_HUB_SETTINGS.session,
        graceMs: config.GRACE_MS,
        prepareTimeoutMs: config.PREPARE_TIMEOUT_MS,
        switchTimeoutMs: config.SWITCH_TIMEOUT_MS,
        idleMs: config.SESSION_IDLE_MS,
        maxDevices: config.MAX_DEVICES_PER_USER,
      },
    },
  });
  const server = createApp({
    hub,
    log,
    secret,
    devMode,
    maxPayloadBytes: config.MAX_PAYLOAD_BYTES,
    routes: (router, auth) => {
      infoRoute(router, { devMode, nodeId: config.NODE_ID });
      traceExportRoutes(router, auth, hub, log);
      addPlayerRoutes(router, auth, { hub, limiter: new RateLimiter({ ratePerSec: config.API_RATE_PER_SEC, burst: config.API_RATE_BURST }, () => clock.now()) });
    },
    sockets: [traceSocket(hub, log)],
    fallback: viewerFiles(deps.viewerDir ?? VIEWER_DIST),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());
  log.info({ port, devMode }, devMode ? 'hub listening (dev mode: no HUB_SECRET, /v1/dev/token is open)' : 'hub listening');
  return {
    hub,
    server,
    port,
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}/v1/connect`,
    secret,
    devMode,
    close,
    [Symbol.asyncDispose]: close,
  };
}

import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { TokenAuthenticator } from './auth/authenticator.ts';
import { HubTokens } from './auth/hub-tokens.ts';
import { oidcFromConfig } from './auth/oidc-config.ts';
import { RedisBus } from './bus/redis-bus.ts';
import { systemClock, type Clock } from './clock.ts';
import { Mesh } from './cluster/mesh.ts';
import { RedisOwnership } from './cluster/redis-ownership.ts';
import { RedisTraceStreams, StreamedTraceLog } from './cluster/trace-streams.ts';
import type { Config } from './config.ts';
import { fileURLToPath } from 'node:url';
import { adminRoutes } from './http/admin-routes.ts';
import { createApp } from './http/app.ts';
import { ClientAddress } from './http/client-address.ts';
import { infoRoute, whoamiRoute } from './http/info.ts';
import { UpgradeLimits } from './http/upgrade-limits.ts';
import { opsRoutes } from './http/ops-routes.ts';
import { addPlayerRoutes } from './http/player-routes.ts';
import { viewerFiles } from './http/viewer-files.ts';
import { Hub } from './hub.ts';
import { DEFAULT_HUB_SETTINGS } from './hub-settings.ts';
import { RateLimiter } from './limits/rate-limit.ts';
import { createLog, type Log } from './log.ts';
import { configSecrets } from './log-redact.ts';
import { addHubGauges, PromMetrics } from './metrics/prom-metrics.ts';
import { MemoryStore } from './store/memory-store.ts';
import { connectRedis, describeTarget, reachRedis, type RedisTarget } from './store/redis-connect.ts';
import { defaultMinReplicas, slotsServed } from './store/redis-health.ts';
import type { Replication } from './store/redis-script.ts';
import { RedisStore } from './store/redis-store.ts';
import type { Store } from './store/store.ts';
import { traceExportRoutes } from './trace/export-routes.ts';
import { machineRoute } from './trace/machine-route.ts';
import { TraceLog } from './trace/trace-log.ts';
import { traceSocket } from './trace/trace-socket.ts';

/** How long a change waits for its replicas (REDIS_MIN_REPLICAS) before the write counts as failed. */
const REPLICA_WAIT_MS = 2000;
/** Why a node of many is not ready yet though Redis answers: it does not hold its partitions yet (starting). */
const notSettled = (mesh: Mesh) => () =>
  mesh.partitions.settled ? null : 'starting: this node does not hold its partitions yet (they are being handed over, or lapse within LEASE_TTL_MS)';

/** A readiness probe slower than this counts as failing, so /readyz answers within 1 s even when Redis does not. */
const READY_PROBE_MS = 800;

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
  // Dev mode (anyone may mint a token) only when neither a secret nor an identity provider is configured.
  const devMode = !config.HUB_SECRET && !config.AUTH_ISSUER;
  const secret = config.HUB_SECRET ?? randomBytes(32).toString('hex');
  const log =
    deps.log ??
    createLog({
      level: config.LOG_LEVEL,
      base: { node: config.NODE_ID },
      format: config.LOG_FORMAT === 'auto' ? (process.stderr.isTTY ? 'pretty' : 'json') : config.LOG_FORMAT,
      secrets: configSecrets(config, [secret]),
    });
  const clock = deps.clock ?? systemClock;
  // The provider first: unreachable at start is a startup error, before anything listens.
  const oidc = oidcFromConfig(config, { clock, log });
  await oidc?.start();
  const authenticator = new TokenAuthenticator(new HubTokens(secret, () => clock.now()), oidc);
  const metrics = new PromMetrics();
  const traceSettings = { maxEventsPerUser: config.TRACE_MAX_EVENTS_PER_USER, maxAgeMs: config.TRACE_MAX_AGE_MS, maxBytes: config.TRACE_MAX_BYTES };
  // With REDIS_URL or REDIS_CLUSTER_NODES, a node among many: sessions, leases, traces in Redis; the other nodes on its sharded pub/sub.
  const target: RedisTarget | null = config.REDIS_CLUSTER_NODES ? { clusterNodes: config.REDIS_CLUSTER_NODES } : config.REDIS_URL ? { url: config.REDIS_URL } : null;
  const redis = target ? connectRedis(target, log, `${config.NODE_ID}:store`) : null;
  let replication: Replication | undefined;
  if (redis && target) {
    await reachRedis(redis, target);
    const replicas = config.REDIS_MIN_REPLICAS ?? (await defaultMinReplicas(redis));
    replication = { replicas, timeoutMs: REPLICA_WAIT_MS };
    log.info({ redis: describeTarget(target), minReplicas: replicas }, 'redis reachable');
  }
  const store = deps.store ?? (redis ? new RedisStore(redis, { ttlMs: config.SESSION_TTL_MS, ...(replication ? { replication } : {}) }) : new MemoryStore());
  const bus =
    target
      ? new RedisBus({
          publisher: connectRedis(target, log, `${config.NODE_ID}:pub`),
          subscriber: connectRedis(target, log, `${config.NODE_ID}:sub`, { subscriber: true }),
          log,
          probeMs: config.BUS_PROBE_MS,
          probeTimeoutMs: 3 * config.BUS_PROBE_MS,
        })
      : null;
  // Traces go to Redis on demand: while watched (on any node), for a tail after, and for a sampled share of users.
  // Watches are announced to the user's owner, which the Mesh (made below, with the hub) computes.
  const owners: { of: (userId: string) => string | null } = { of: () => null };
  const streamed =
    target && bus
      ? new StreamedTraceLog(() => clock.now(), traceSettings, (log_) =>
          new RedisTraceStreams({
            redis: connectRedis(target, log, `${config.NODE_ID}:trace`),
            bus,
            nodeId: config.NODE_ID,
            log,
            settings: traceSettings,
            writes: { sampleRate: config.TRACE_SAMPLE_RATE, tailMs: config.TRACE_TAIL_MS },
            trace: log_,
            clock,
            ownerOf: (userId) => owners.of(userId),
          }),
        )
      : null;
  const streams = streamed?.streams ?? null;
  const trace = streamed ?? new TraceLog(() => clock.now(), traceSettings);
  const hub = new Hub({
    clock,
    store,
    trace,
    log,
    metrics,
    ...(redis && bus && streams
      ? {
          placement: (h: Hub) =>
            new Mesh(h, {
              nodeId: config.NODE_ID,
              bus,
              ownership: new RedisOwnership(redis, replication),
              partitions: config.PARTITIONS,
              log,
              leaseTtlMs: config.LEASE_TTL_MS,
              traces: streams,
              clock,
            }),
        }
      : {}),
    settings: {
      ...DEFAULT_HUB_SETTINGS,
      heartbeatMs: config.HEARTBEAT_MS,
      clockMaxDriftPpm: config.CLOCK_MAX_DRIFT_PPM,
      framesPerSec: config.DEVICE_FRAME_RATE,
      frameBurst: config.DEVICE_FRAME_BURST,
      commandsPerSec: config.USER_COMMAND_RATE,
      commandBurst: config.USER_COMMAND_BURST,
      commandRefusalsPerFlood: config.COMMAND_REFUSALS_PER_FLOOD,
      maxConnectionsPerAddress: config.MAX_CONNECTIONS_PER_ADDRESS,
      framesPerUserPerTurn: config.USER_FRAMES_PER_TURN,
      frameGuard: {
        maxInvalidFrames: config.INVALID_FRAME_LIMIT,
        windowMs: config.INVALID_FRAME_WINDOW_MS,
        closeCode: config.INVALID_FRAME_CLOSE_CODE,
        maxFrameBytes: config.DEVICE_MAX_FRAME_BYTES,
      },
      session: {
        ...DEFAULT_HUB_SETTINGS.session,
        graceMs: config.GRACE_MS,
        prepareTimeoutMs: config.PREPARE_TIMEOUT_MS,
        switchTimeoutMs: config.SWITCH_TIMEOUT_MS,
        idleMs: config.SESSION_IDLE_MS,
        maxDevices: config.MAX_DEVICES_PER_USER,
        ...(config.PUBLIC_URL ? { publicUrl: config.PUBLIC_URL } : {}),
      },
    },
  });
  addHubGauges(metrics, hub);
  if (hub.placement instanceof Mesh) {
    const mesh = hub.placement;
    owners.of = (userId) => mesh.partitions.ownerOf(userId);
    metrics.gauge('handoff_partitions_held', 'Partitions whose lease this node holds (only with Redis).', () => mesh.partitions.heldCount);
    metrics.gauge('handoff_cluster_members', 'Live hub nodes in the membership, as this node last saw it (only with Redis).', () => mesh.partitions.liveMembers.length);
  }
  if (redis) metrics.gauge('handoff_redis_connected', "1 while this node's Redis connection is ready, else 0 (only with Redis).", () => (redis.status === 'ready' ? 1 : 0));
  await streams?.start();
  await hub.placement.start();
  const oidcViewer =
    config.AUTH_ISSUER && config.AUTH_AUDIENCE && config.AUTH_VIEWER_CLIENT_ID
      ? { issuer: config.AUTH_ISSUER, clientId: config.AUTH_VIEWER_CLIENT_ID, audience: config.AUTH_AUDIENCE, scope: config.AUTH_VIEWER_SCOPE }
      : null;
  const apiLimiter = new RateLimiter({ ratePerSec: config.API_RATE_PER_SEC, burst: config.API_RATE_BURST }, () => clock.now());
  const server = createApp({
    hub,
    log,
    authenticator,
    secret,
    devMode,
    maxPayloadBytes: config.MAX_PAYLOAD_BYTES,
    clientAddress: new ClientAddress(config.TRUSTED_PROXIES),
    upgradeLimits: new UpgradeLimits(
      {
        perAddress: { ratePerSec: config.UPGRADE_RATE_PER_ADDRESS, burst: config.UPGRADE_BURST_PER_ADDRESS },
        perUser: { ratePerSec: config.UPGRADE_RATE_PER_USER, burst: config.UPGRADE_BURST_PER_USER },
        answeredRefusals: config.UPGRADE_ANSWERED_REFUSALS,
        refusalHoldMs: config.UPGRADE_REFUSAL_HOLD_MS,
        abusePenalty: config.UPGRADE_ABUSE_PENALTY,
      },
      clock,
    ),
    routes: (router, auth) => {
      infoRoute(router, { devMode, nodeId: config.NODE_ID, ...(oidcViewer ? { oidc: oidcViewer } : {}) });
      whoamiRoute(router, { auth, limiter: apiLimiter, metrics: hub.metrics });
      traceExportRoutes(router, auth, hub, log);
      machineRoute(router, auth, hub);
      addPlayerRoutes(router, auth, { hub, limiter: apiLimiter });
      adminRoutes(router, auth, { hub, limiter: apiLimiter, log, nodeId: config.NODE_ID });
      // The store answers a load (of a key no user can have) when reachable. With Redis, the bus
      // joins here, and every slot must be served (on a cluster: a master for each, answering).
      opsRoutes(router, {
        metrics,
        hub,
        log,
        probeTimeoutMs: READY_PROBE_MS,
        // Many nodes: not before this node holds the partitions it owns (else its first commands wait up to a lease TTL).
        ...(hub.placement instanceof Mesh ? { notYet: notSettled(hub.placement) } : {}),
        probes: [
          { name: 'store', check: () => store.load('#readyz') },
          ...(bus ? [{ name: 'bus', check: () => bus.publish('probe:readyz', '') }] : []),
          ...(redis ? [{ name: 'redis slots', check: () => slotsServed(redis) }] : []),
        ],
      });
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
      hub.startDraining('shutting down');
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());
  log.info({ port, devMode, ...(oidc ? { issuer: oidc.settings.issuer } : {}) }, devMode ? 'hub listening (dev mode: no HUB_SECRET, /v1/dev/token is open)' : 'hub listening');
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

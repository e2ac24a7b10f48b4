import { hostname } from 'node:os';
import { z } from 'zod';
import { configErrorMessage } from './config-errors.ts';
import { DEFAULT_HUB_SETTINGS } from './hub-settings.ts';
import { validTrustedProxies } from './http/client-address.ts';
import { DEFAULT_UPGRADE_LIMITS } from './http/upgrade-limits.ts';
import { DEFAULT_RATE_LIMIT } from './limits/rate-limit.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** `host:port,host:port,...`: a Redis Cluster's seed nodes. */
const seedNodes = z.string().transform((text, ctx) => {
  const nodes = text.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(entry);
    const port = Number(m?.[2]);
    return m && port > 0 && port < 65536 ? { host: m[1]!.replace(/^\[|\]$/g, ''), port } : null;
  });
  if (nodes.length === 0 || nodes.some((n) => n === null)) {
    ctx.addIssue({ code: 'custom', message: `REDIS_CLUSTER_NODES=${JSON.stringify(text)} is not valid: REDIS_CLUSTER_NODES takes seed nodes as host:port,host:port,... (any of the cluster's nodes; the rest are discovered)` });
    return z.NEVER;
  }
  return nodes as Array<{ host: string; port: number }>;
});

/** Every setting, from the environment, parsed once at start. */
export const ConfigSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Shared HS256 secret for tokens. Unset: dev mode with a random secret and /v1/dev/token. */
  HUB_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** An OpenID Provider's issuer URL: its tokens (RS256, ES256, EdDSA) are accepted besides HUB_SECRET's. */
  AUTH_ISSUER: z.url().optional(),
  /** The `aud` the provider's tokens must carry (required with AUTH_ISSUER). */
  AUTH_AUDIENCE: z.string().min(1).optional(),
  /** The claim holding device, viewer or admin (a string or a list; a dotted path reaches into objects). */
  AUTH_ROLE_CLAIM: z.string().min(1).default('handoff_role'),
  /** The role of a provider token without that claim; `none` refuses such tokens. */
  AUTH_DEFAULT_ROLE: z.enum(['viewer', 'device', 'admin', 'none']).default('viewer'),
  /** The claim naming the user. */
  AUTH_USER_CLAIM: z.string().min(1).default('sub'),
  /** The viewer's public client at the provider: with it, the viewer offers "Sign in with <issuer>". */
  AUTH_VIEWER_CLIENT_ID: z.string().min(1).optional(),
  /** The scopes the viewer asks for. */
  AUTH_VIEWER_SCOPE: z.string().min(1).default('openid'),
  /** An unknown key id makes at most one fetch of the provider's keys this often. */
  AUTH_JWKS_REFETCH_MS: int(0, 3_600_000).default(30_000),
  /** Cached provider keys older than this are fetched again in the background. */
  AUTH_JWKS_MAX_AGE_MS: int(1000, 86_400_000).default(600_000),
  REDIS_URL: z.url().optional(),
  /** A Redis Cluster instead of one Redis: its seed nodes. Not together with REDIS_URL. */
  REDIS_CLUSTER_NODES: seedNodes.optional(),
  /** With Redis: how many replicas must hold a change before it counts as committed (WAIT). Unset: 1 when the Redis has replicas, else 0. */
  REDIS_MIN_REPLICAS: int(0, 16).optional(),
  NODE_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  /** With Redis: how long a partition's lease and a node's membership outlive its last heartbeat (a dead node's users wait about this long). */
  LEASE_TTL_MS: int(500, 600_000).default(5000),
  /** With Redis: how many partitions users hash into; each is owned by one node. Must be the same on every node. */
  PARTITIONS: int(1, 65_536).default(1024),
  /** This node's device URL as devices reach it (wss://hub-3.example.com/v1/connect): welcomes of sessions run here name it, and clients move to it. */
  PUBLIC_URL: z.string().optional(),
  /** With REDIS_URL: how often the bus checks that its subscriptions still deliver. */
  BUS_PROBE_MS: int(100, 60_000).default(1000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** `auto`: readable lines when stderr is a terminal, JSON lines otherwise. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  HEARTBEAT_MS: int(100, 600_000).default(5000),
  /** The fastest a device clock may drift against the hub's, in ppm: what the clock estimate allows between exchanges. */
  CLOCK_MAX_DRIFT_PPM: int(1, 100_000).default(200),
  GRACE_MS: int(0, 3_600_000).default(10_000),
  PREPARE_TIMEOUT_MS: int(100, 600_000).default(5000),
  SWITCH_TIMEOUT_MS: int(100, 600_000).default(2000),
  SESSION_IDLE_MS: int(0, 86_400_000).default(60_000),
  SESSION_TTL_MS: int(60_000, 3650 * 86_400_000).default(30 * 86_400_000),
  MAX_DEVICES_PER_USER: int(1, 100_000).default(50),
  DEVICE_FRAME_RATE: int(1, 1_000_000).default(50),
  DEVICE_FRAME_BURST: int(1, 1_000_000).default(200),
  USER_COMMAND_RATE: int(1, 1_000_000).default(20),
  USER_COMMAND_BURST: int(1, 1_000_000).default(60),
  /** Commands a device socket may have refused RATE_LIMITED in one flood (no refusal-free second between) before it is closed 4029. */
  COMMAND_REFUSALS_PER_FLOOD: int(1, 1_000_000).default(DEFAULT_HUB_SETTINGS.commandRefusalsPerFlood),
  MAX_CONNECTIONS_PER_ADDRESS: int(1, 10_000_000).default(512),
  /** New sockets per second (and burst) from one client address, and for one user; over them the upgrade gets HTTP 429. */
  UPGRADE_RATE_PER_ADDRESS: int(1, 1_000_000).default(DEFAULT_UPGRADE_LIMITS.perAddress.ratePerSec),
  UPGRADE_BURST_PER_ADDRESS: int(1, 1_000_000).default(DEFAULT_UPGRADE_LIMITS.perAddress.burst),
  UPGRADE_RATE_PER_USER: int(1, 1_000_000).default(DEFAULT_UPGRADE_LIMITS.perUser.ratePerSec),
  UPGRADE_BURST_PER_USER: int(1, 1_000_000).default(DEFAULT_UPGRADE_LIMITS.perUser.burst),
  /** Over-limit connections from one address still answered 429 (at once, then one a second); the rest are reset at TCP accept. */
  UPGRADE_ANSWERED_REFUSALS: int(1, 1_000_000).default(DEFAULT_UPGRADE_LIMITS.answeredRefusals),
  /** How long the rest are held, unread, before the reset; 0: reset at once. */
  UPGRADE_REFUSAL_HOLD_MS: int(0, 60_000).default(DEFAULT_UPGRADE_LIMITS.refusalHoldMs),
  /** New sockets a user forfeits each time one of theirs is cut off for abuse (4008, 4029); 0: none. */
  UPGRADE_ABUSE_PENALTY: int(0, 1_000_000).default(DEFAULT_UPGRADE_LIMITS.abusePenalty),
  /** Balancers whose X-Forwarded-For names the client: comma-separated addresses and CIDR ranges. Empty: the header is ignored. */
  TRUSTED_PROXIES: z.string().default('').refine(validTrustedProxies, 'TRUSTED_PROXIES takes comma-separated IP addresses or CIDR ranges, e.g. 10.0.0.0/8,::1 (default empty)'),
  /** Frames of one user handled per turn of the event loop; the rest wait for the next turn, so one user's burst never queues ahead of every other user. */
  USER_FRAMES_PER_TURN: int(1, 1_000_000).default(DEFAULT_HUB_SETTINGS.framesPerUserPerTurn),
  /** A device socket with this many invalid frames within the window is closed (frames before device.hello count double). */
  INVALID_FRAME_LIMIT: int(2, 1_000_000).default(DEFAULT_HUB_SETTINGS.frameGuard.maxInvalidFrames),
  INVALID_FRAME_WINDOW_MS: int(100, 3_600_000).default(DEFAULT_HUB_SETTINGS.frameGuard.windowMs),
  /** The close code of such a socket (application range). */
  INVALID_FRAME_CLOSE_CODE: int(4000, 4999).default(DEFAULT_HUB_SETTINGS.frameGuard.closeCode),
  /** Device frames larger than this are refused unread (counted as invalid); MAX_PAYLOAD_BYTES still closes at its own limit. */
  DEVICE_MAX_FRAME_BYTES: int(256, 16 * 1024 * 1024).default(DEFAULT_HUB_SETTINGS.frameGuard.maxFrameBytes),
  MAX_PAYLOAD_BYTES: int(1024, 16 * 1024 * 1024).default(64 * 1024),
  TRACE_MAX_EVENTS_PER_USER: int(10, 10_000_000).default(5000),
  TRACE_MAX_AGE_MS: int(1000, 30 * 86_400_000).default(3_600_000),
  TRACE_MAX_BYTES: int(1024, 64 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  /** With Redis: the share of users (0 to 1) whose trace is always written to Redis, watched or not. */
  TRACE_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** With Redis: how long a user's trace goes on being written after the last viewer left, and how long its stream outlives its last write. */
  TRACE_TAIL_MS: int(1000, 3_600_000).default(30_000),
  /** HTTP API rate limit per user: sustained requests per second, and the burst allowed at once. */
  API_RATE_PER_SEC: int(1, 1_000_000).default(DEFAULT_RATE_LIMIT.ratePerSec),
  API_RATE_BURST: int(1, 1_000_000).default(DEFAULT_RATE_LIMIT.burst),
}).superRefine((config, ctx) => {
  if (config.TRACE_TAIL_MS <= config.LEASE_TTL_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['TRACE_TAIL_MS'],
      message: `TRACE_TAIL_MS=${config.TRACE_TAIL_MS} must be longer than LEASE_TTL_MS=${config.LEASE_TTL_MS}: a dead node's users are taken over within the lease TTL, and the new owner goes on from the trace kept for the tail`,
    });
  }
  if (config.PUBLIC_URL !== undefined && !isDeviceUrl(config.PUBLIC_URL)) {
    ctx.addIssue({
      code: 'custom',
      path: ['PUBLIC_URL'],
      message: `PUBLIC_URL=${JSON.stringify(config.PUBLIC_URL)} is not valid: PUBLIC_URL takes this node's device URL as devices reach it, a ws://, wss://, http:// or https:// URL with a host, e.g. wss://hub-3.example.com/v1/connect`,
    });
  }
  if (config.REDIS_URL !== undefined && config.REDIS_CLUSTER_NODES !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_CLUSTER_NODES'],
      message: 'REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_URL for one Redis, or REDIS_CLUSTER_NODES for a Redis Cluster, not both',
    });
  }
});
/** A URL a device can open a socket to: ws, wss (or http, https, which WebSocket clients take too), with a host. */
function isDeviceUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return ['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Settings that only make sense together. */
const checked = ConfigSchema.superRefine((c, ctx) => {
  if (c.AUTH_ISSUER && !c.AUTH_AUDIENCE)
    ctx.addIssue({
      code: 'custom',
      path: ['AUTH_AUDIENCE'],
      message: 'AUTH_AUDIENCE is required with AUTH_ISSUER (the aud the provider puts in tokens for this hub)',
    });
  if (!c.AUTH_ISSUER && (c.AUTH_AUDIENCE || c.AUTH_VIEWER_CLIENT_ID))
    ctx.addIssue({ code: 'custom', path: ['AUTH_ISSUER'], message: 'AUTH_ISSUER is required with AUTH_AUDIENCE or AUTH_VIEWER_CLIENT_ID' });
});

/** Parse the environment; a bad value throws a message naming the setting and what it accepts. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = checked.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!result.success) throw new Error(configErrorMessage(ConfigSchema.shape, result.error.issues, env));
  return Object.freeze(result.data);
}

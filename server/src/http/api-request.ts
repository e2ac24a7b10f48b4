import { createHash, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '@handoff/protocol';
import { z } from 'zod';
import type { Principal } from '../auth/token.ts';
import { HubError } from '../errors.ts';
import type { RateLimiter } from '../limits/rate-limit.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { apiError, BodyError, json } from './respond.ts';
import type { Handler, RouteContext } from './router.ts';
import { reasonOf, statusOf } from './status-of.ts';

/** The header an admin token names the user it acts on with. */
export const ACT_AS_HEADER = 'x-handoff-user';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const CORRELATION_HEADER = 'x-correlation-id';

const UserId = z.string().min(1).max(128).regex(/^[A-Za-z0-9._@-]+$/);
const IdempotencyKey = z.string().min(1).max(255);

/** One authenticated API request: who asks, which user it acts on, and its correlation id. */
export interface ApiCall extends RouteContext {
  principal: Principal;
  /** The user acted on: the token's own, or the one an admin named. */
  userId: string;
  /**
   * The id of this request in the trace and in `X-Correlation-Id`; a command runs with it as its
   * commandId. Derived from user and `Idempotency-Key` when one is given, so a retry is the same
   * command; fresh otherwise.
   */
  correlationId: string;
  /** http://host of this hub as the client reached it, for `href`s. */
  base: string;
}

export interface ApiDeps {
  auth: (ctx: RouteContext) => Promise<Principal>;
  limiter: RateLimiter;
  /** Counts the refusals (rate limit, validation, auth). */
  metrics?: Metrics;
}

/**
 * Wrap an endpoint: a correlation id on the response from the start, the token checked, the user
 * resolved, the user's rate limit taken, and every refusal answered in the Web API error shape.
 */
export function apiHandler(deps: ApiDeps, handle: (call: ApiCall) => Promise<void> | void): Handler {
  return async (ctx) => {
    const { req, res } = ctx;
    let correlationId = `http-${randomUUID()}`;
    res.setHeader(CORRELATION_HEADER, correlationId);
    try {
      const principal = await deps.auth(ctx);
      const userId = actingUser(principal, header(req.headers[ACT_AS_HEADER]));
      const decision = deps.limiter.take(userId);
      if (!decision.ok) {
        deps.metrics?.refused('http', 'RATE_LIMITED');
        const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
        return sendError(res, 'RATE_LIMITED', 'API rate limit exceeded', { 'retry-after': String(seconds) });
      }
      const key = header(req.headers[IDEMPOTENCY_HEADER]);
      if (key !== undefined) {
        if (!IdempotencyKey.safeParse(key).success) throw new HubError({ code: 'BAD_REQUEST', message: 'Idempotency-Key must be 1 to 255 characters' });
        correlationId = idempotentCommandId(userId, key);
        res.setHeader(CORRELATION_HEADER, correlationId);
      }
      await handle({ ...ctx, principal, userId, correlationId, base: `http://${req.headers.host ?? 'localhost'}` });
    } catch (err) {
      if (res.headersSent) throw err;
      if (err instanceof HubError) {
        deps.metrics?.refused('http', err.code);
        return sendError(res, err.code, err.message);
      }
      if (err instanceof BodyError && err.status === 401) {
        deps.metrics?.refused('http', 'UNAUTHORIZED');
        return apiError(res, 401, err.message, { 'www-authenticate': 'Bearer' });
      }
      if (err instanceof BodyError) deps.metrics?.refused('http', 'BAD_REQUEST');
      throw err;
    }
  };
}

/** A command id that is the same for the same user and key, and different for anything else. */
export function idempotentCommandId(userId: string, key: string): string {
  return `idem-${createHash('sha256').update(`${userId}\n${key}`).digest('base64url')}`;
}

/** The reference's error body, with its player `reason` and the hub's own `code` alongside. */
export function sendError(res: ServerResponse, code: ErrorCode, message: string, headers: Record<string, string> = {}, reason = reasonOf(code)): void {
  const status = statusOf(code);
  json(res, status, { error: { status, message, reason, code } }, headers);
}

/** 204 with no body: what every command endpoint answers on success. */
export function noContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

function actingUser(principal: Principal, named: string | undefined): string {
  if (named === undefined || named === principal.userId) return principal.userId;
  if (principal.role !== 'admin') {
    throw new HubError({ code: 'FORBIDDEN', message: `only an admin token may act on another user (${ACT_AS_HEADER})` });
  }
  if (!UserId.safeParse(named).success) {
    throw new HubError({ code: 'BAD_REQUEST', message: `${ACT_AS_HEADER}: letters, digits and . _ @ - only` });
  }
  return named;
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

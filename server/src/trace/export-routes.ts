import type { TraceEvent } from '@handoff/protocol';
import type { Principal } from '../auth/token.ts';
import type { Hub } from '../hub.ts';
import { BodyError } from '../http/respond.ts';
import type { RouteContext, Router } from '../http/router.ts';
import type { Log } from '../log.ts';
import { auditRead, traceRefusal } from './access.ts';
import { toChrome } from './chrome.ts';
import { toOtlp } from './otlp.ts';
import { redactJson } from './redact.ts';

const FORMATS = ['ndjson', 'otlp', 'chrome'] as const;
type Format = (typeof FORMATS)[number];

/**
 * `GET /v1/users/:userId/trace?format=ndjson|otlp|chrome&sinceSeq=N&untilSeq=M`: what the ring
 * holds of the user's trace after seq N and up to seq M (a viewer fetching a range it dropped), as the project's NDJSON (one event per line in seq order), OTLP JSON
 * (Jaeger) or Chrome trace-event JSON (Perfetto). Same access rules as the trace socket.
 */
export function traceExportRoutes(router: Router, auth: (ctx: RouteContext) => Promise<Principal>, hub: Hub, log: Log): void {
  router.add('GET', '/v1/users/:userId/trace', async ({ req, res, url, params }) => {
    const principal = await auth({ req, res, url, params });
    const userId = params.userId!;
    const refusal = traceRefusal(principal, userId);
    if (refusal) throw new BodyError(403, refusal);
    const format = (url.searchParams.get('format') ?? 'ndjson') as Format;
    if (!FORMATS.includes(format)) throw new BodyError(400, `format: one of ${FORMATS.join(', ')}`);
    const since = Number(url.searchParams.get('sinceSeq') ?? 0);
    if (!Number.isSafeInteger(since) || since < 0) throw new BodyError(400, 'sinceSeq: a non-negative integer');
    const until = url.searchParams.has('untilSeq') ? Number(url.searchParams.get('untilSeq')) : null;
    if (until !== null && (!Number.isSafeInteger(until) || until < since))
      throw new BodyError(400, 'untilSeq: an integer no smaller than sinceSeq');
    auditRead(log, principal, userId, `export ${format}`);
    const held = hub.trace.read(userId, since);
    const events = until === null ? held : held.filter((e) => e.seq <= until);
    const stamp = new Date(hub.clock.now()).toISOString().replace(/[:.]/g, '-');
    const file = `trace-${userId.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}`;
    if (format === 'ndjson') return send(res, 'application/x-ndjson', `${file}.ndjson`, toNdjson(events));
    const body = format === 'otlp' ? toOtlp(userId, events) : toChrome(userId, events);
    return send(res, 'application/json', `${file}.${format}.json`, JSON.stringify(body));
  });
}

/** One event per line, in seq order, redacted; nothing else. */
export function toNdjson(events: readonly TraceEvent[]): string {
  let out = '';
  for (const e of events) out += redactJson(JSON.stringify(e)) + '\n';
  return out;
}

function send(res: RouteContext['res'], type: string, filename: string, body: string): void {
  res.writeHead(200, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
  });
  res.end(body);
}

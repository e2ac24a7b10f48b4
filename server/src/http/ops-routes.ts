import type { Log } from '../log.ts';
import type { PromMetrics } from '../metrics/prom-metrics.ts';
import { json } from './respond.ts';
import type { Router } from './router.ts';

/** Something the hub needs to take traffic (the store, the bus), checked on every `/readyz`. */
export interface ReadinessProbe {
  name: string;
  /** Resolves when reachable; rejects (or takes longer than the timeout) when not. */
  check(): Promise<unknown>;
}

export interface OpsDeps {
  metrics: PromMetrics;
  hub: { readonly drainingBecause: string | null };
  probes: ReadinessProbe[];
  /** Why this hub should not take traffic yet though everything answers (many nodes: it does not hold its partitions yet), or null. */
  notYet?: () => string | null;
  log: Log;
  /** A probe slower than this counts as unreachable. @default 2000 */
  probeTimeoutMs?: number;
}

/**
 * Public operator endpoints: `GET /metrics` (Prometheus text) and `GET /readyz` (200 when this
 * hub should get traffic; 503 with the reason while it drains or when a probe fails). `/healthz`
 * (the process answers) is in app.ts.
 */
export function opsRoutes(router: Router, deps: OpsDeps): void {
  const timeoutMs = deps.probeTimeoutMs ?? 2000;
  let wasReady = true;

  router.add('GET', '/metrics', async ({ res }) => {
    const text = await deps.metrics.render();
    res.writeHead(200, { 'content-type': deps.metrics.contentType, 'cache-control': 'no-store' });
    res.end(text);
  });

  router.add('GET', '/readyz', async ({ res }) => {
    const reason = deps.hub.drainingBecause !== null ? `draining: ${deps.hub.drainingBecause}` : (deps.notYet?.() ?? (await failingProbe(deps.probes, timeoutMs)));
    const ready = reason === null;
    if (ready !== wasReady) {
      wasReady = ready;
      if (ready) deps.log.info({}, 'ready again');
      else deps.log.warn({ reason }, 'not ready');
    }
    const headers = { 'cache-control': 'no-store' };
    if (ready) json(res, 200, { status: 'ready' }, headers);
    else json(res, 503, { status: 'not ready', reason }, headers);
  });
}

/** Why the first failing probe failed, or null when all are reachable. Probes run together. */
async function failingProbe(probes: ReadinessProbe[], timeoutMs: number): Promise<string | null> {
  const results = await Promise.all(
    probes.map(async (probe) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([probe.check(), timeout]);
        return null;
      } catch (err) {
        return `${probe.name} unreachable: ${(err instanceof Error ? err.message : String(err)).slice(0, 200)}`;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return results.find((r) => r !== null) ?? null;
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseConfig, silentLog, startHub } from '@handoff/server';
import { startRedis } from '../helpers/redis.ts';
import { scrape } from '../helpers/scrape.ts';

const OPS = fileURLToPath(new URL('../../ops/', import.meta.url));
const alerts = readFileSync(`${OPS}prometheus/alerts.yml`, 'utf8');
const alertTests = readFileSync(`${OPS}prometheus/alerts.test.yml`, 'utf8');
const dashboard = JSON.parse(readFileSync(`${OPS}grafana/handoff-hub.json`, 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};

/** Metric names in PromQL (and prose): the hub's own, prom-client's process and Node.js ones. `up` is Prometheus's own. */
const metricNames = (text: string) => new Set(text.match(/\b(?:handoff|nodejs|process)_[a-z0-9_]+\b/g) ?? []);
const HISTOGRAM_PARTS = /_(bucket|sum|count)$/;

describe('the operations kit (ops/)', () => {
  test('every metric the alert rules and the dashboard name is one the hub exports', async () => {
    // With Redis, so the Redis-only series are there too.
    await using redis = await startRedis({ aof: false });
    await using hub = await startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1', REDIS_URL: redis.url, NODE_ID: 'ops-kit' }), {
      log: silentLog,
    });
    const { text } = await scrape(hub);
    const families = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const exported = (name: string) =>
      families.has(name) || (HISTOGRAM_PARTS.test(name) && families.get(name.replace(HISTOGRAM_PARTS, '')) === 'histogram');

    const named = new Map<string, string>();
    for (const name of metricNames(alerts)) named.set(name, 'ops/prometheus/alerts.yml');
    for (const panel of dashboard.panels)
      for (const t of panel.targets) for (const name of metricNames(t.expr)) named.set(name, `dashboard panel "${panel.title}"`);
    // The check reads what it should: the rules and the panels name many metrics.
    expect(named.size).toBeGreaterThan(15);
    const unknown = [...named].filter(([name]) => !exported(name)).map(([name, where]) => `${name} (${where})`);
    expect(unknown, 'metrics named in ops/ that /metrics does not export').toEqual([]);
  });

  test('every alert rule has a promtool unit test, and every dashboard panel a query', () => {
    const rules = [...alerts.matchAll(/^\s+- alert: (\S+)$/gm)].map((m) => m[1]!);
    expect(rules.length).toBeGreaterThanOrEqual(8);
    expect(rules.filter((r) => !alertTests.includes(`alertname: ${r}`))).toEqual([]);
    expect(
      dashboard.panels.filter((p) => p.targets.length === 0 || p.targets.some((t) => !t.expr.trim())).map((p) => p.title),
    ).toEqual([]);
  });
});

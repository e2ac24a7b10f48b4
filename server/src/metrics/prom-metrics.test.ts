import { describe, expect, test } from 'vitest';
import { PromMetrics } from './prom-metrics.ts';
import { HistogramFamily } from './series.ts';

const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('metrics', () => {
  test('a histogram renders cumulative buckets, +Inf, sum and count in the Prometheus text format', () => {
    const family = new HistogramFamily('x_seconds', 'An example.', [0.1, 1]);
    const s = family.series({ outcome: 'ok' });
    for (const v of [0.05, 0.5, 0.7, 3]) s.observe(v);
    expect(family.render()).toBe(
      [
        '# HELP x_seconds An example.',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{outcome="ok",le="0.1"} 1',
        'x_seconds_bucket{outcome="ok",le="1"} 3',
        'x_seconds_bucket{outcome="ok",le="+Inf"} 4',
        'x_seconds_sum{outcome="ok"} 4.25',
        'x_seconds_count{outcome="ok"} 4',
        '',
      ].join('\n'),
    );
  });

  test('commands and transfers are counted by code and timed in seconds', async () => {
    const m = new PromMetrics();
    m.commandDone('ok', 3);
    m.commandDone('DEVICE_NOT_FOUND', 1);
    m.transferDone('TRANSFER_TIMEOUT', 5000);
    m.switchLateness(-4, 'reported');
    const text = await m.render();
    expect(sample(text, 'handoff_commands_total{code="ok"}')).toBe(1);
    expect(sample(text, 'handoff_commands_total{code="DEVICE_NOT_FOUND"}')).toBe(1);
    expect(sample(text, 'handoff_command_duration_seconds_sum{outcome="ok"}')).toBe(0.003);
    expect(sample(text, 'handoff_transfers_total{code="TRANSFER_TIMEOUT"}')).toBe(1);
    expect(sample(text, 'handoff_transfer_duration_seconds_count{outcome="rolled_back"}')).toBe(1);
    expect(sample(text, 'handoff_switch_gap_seconds_count{kind="overlap",measured="reported"}')).toBe(1);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  test('a code outside the protocol is counted as INTERNAL, so labels stay a bounded set', async () => {
    const m = new PromMetrics();
    m.refused('device', 'user-alice-device-9');
    const text = await m.render();
    expect(text).not.toContain('alice');
    expect(sample(text, 'handoff_refusals_total{source="device",code="INTERNAL"}')).toBe(1);
  });

  test('gauges are read when scraped', async () => {
    const m = new PromMetrics();
    let n = 1;
    m.gauge('x_things', 'Things.', () => n);
    n = 7;
    m.socketOpened('/v1/trace');
    expect(sample(await m.render(), 'x_things')).toBe(7);
    expect(sample(await m.render(), 'handoff_sockets_open{endpoint="/v1/trace"}')).toBe(1);
  });
});

import { beforeAll, describe, expect, test } from 'vitest';
import { runConformance, type ConformanceReport } from './kit.ts';
import { RULE_IDS } from './rules.ts';
import { SIM_SPEAKER, TEST_SETTINGS } from './test-devices.ts';

describe('the conformance kit on SimDevice', () => {
  let report: ConformanceReport;
  beforeAll(async () => {
    report = await runConformance({ device: { command: SIM_SPEAKER }, settings: TEST_SETTINGS });
  }, 90_000);

  test.each(RULE_IDS)('%s passes', (id) => {
    const rule = report.rules.find((r) => r.id === id)!;
    expect(rule.evidence.filter((e) => e.startsWith('FAIL'))).toEqual([]);
    expect(rule.pass).toBe(true);
  });

  test('start and stop errors against T are measured for every transfer', () => {
    expect(report.timing.start.n).toBe(TEST_SETTINGS.transfers);
    expect(report.timing.stop.n).toBe(TEST_SETTINGS.transfers);
    expect(report.timing.start.p99).toBeGreaterThanOrEqual(report.timing.start.p50!);
  });
});

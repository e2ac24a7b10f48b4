import { beforeAll, describe, expect, test } from 'vitest';
import { runConformance, type ConformanceReport } from './kit.ts';
import { RULE_IDS } from './rules.ts';
import { pythonSpeaker, TEST_SETTINGS } from './test-devices.ts';

describe('the conformance kit on the Python example speaker', () => {
  let report: ConformanceReport;
  beforeAll(async () => {
    report = await runConformance({ device: { command: pythonSpeaker() }, settings: TEST_SETTINGS });
  }, 90_000);

  test.each(RULE_IDS)('%s passes', (id) => {
    const rule = report.rules.find((r) => r.id === id)!;
    expect(rule.evidence.filter((e) => e.startsWith('FAIL'))).toEqual([]);
    expect(rule.pass).toBe(true);
  });

  test('the device id is the one the kit handed it', () => {
    expect(report.deviceId).toMatch(/^dut-/);
  });
});

import { execFile } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { runConformance } from './kit.ts';
import type { RuleId } from './rules.ts';
import { pythonSpeaker, TEST_SETTINGS } from './test-devices.ts';

const failing = (report: Awaited<ReturnType<typeof runConformance>>) => report.rules.filter((r) => !r.pass).map((r) => r.id);
const run = (broken: 'fencing' | 'arrival' | 'pings' | 'reports', rules: RuleId[]) =>
  runConformance({ device: { command: pythonSpeaker(broken) }, rules, settings: TEST_SETTINGS });

describe('the conformance kit on deliberately broken speakers', () => {
  test('fencing.stale-revision: a speaker that applies stale clusters fails fencing.stale-revision', async () => {
    const report = await run('fencing', ['hello.version', 'fencing.stale-revision']);
    expect(failing(report)).toEqual(['fencing.stale-revision']);
    expect(report.rules.find((r) => r.id === 'fencing.stale-revision')!.evidence.join('\n')).toMatch(/FAIL: .*revision/);
  });

  test('switch.at-T: a speaker that starts when the switch arrives instead of at T fails switch.at-T', async () => {
    const report = await run('arrival', ['prepare.ready', 'switch.at-T']);
    expect(failing(report)).toEqual(['switch.at-T']);
    expect(report.rules.find((r) => r.id === 'switch.at-T')!.evidence.join('\n')).toMatch(/FAIL: start error against T/);
    // It starts a whole lead (150 ms or more) early.
    expect(Math.min(...report.timing.start.samples)).toBeLessThan(-TEST_SETTINGS.toleranceMs);
  });

  test('group.drift-report: a speaker that plays in a group but never reports its position fails group.drift-report', async () => {
    const report = await run('reports', ['hello.version', 'group.drift-report']);
    expect(failing(report)).toEqual(['group.drift-report']);
    expect(report.rules.find((r) => r.id === 'group.drift-report')!.evidence.join('\n')).toMatch(/FAIL: 0 of \d+ clock.pong followed by a playback.report/);
  });

  test('clock.answers: a speaker that never answers pings fails clock.answers, and the CLI says so in --json with exit code 1', async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        'npx',
        ['tsx', 'conformance/src/cli.ts', '--device', pythonSpeaker('pings'), '--rules', 'hello.version,clock.answers', '--json'],
        (_err, out) => resolve({ code: child.exitCode, stdout: out }),
      );
    });
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { passed: boolean; rules: Array<{ id: string; pass: boolean; evidence: string[] }> };
    expect(report.passed).toBe(false);
    expect(report.rules.filter((r) => !r.pass).map((r) => r.id)).toEqual(['clock.answers']);
    expect(report.rules.find((r) => r.id === 'clock.answers')!.evidence.join('\n')).toMatch(/FAIL: 0 of \d+ pings answered/);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

// The benchmark at tiny sizes, so it never rots. Timings are never asserted: only that every
// scenario ran and the results have the documented shape.
describe('npm run bench (smoke)', () => {
  test('runs every scenario at tiny sizes and prints the results object as the last stdout line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    try {
      const out = join(dir, 'results.json');
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--json', '--out', out], {
        cwd: root,
        encoding: 'utf8',
        timeout: 200_000,
      });
      expect(run.status, run.stderr.slice(-2000)).toBe(0);
      const lines = run.stdout.trim().split('\n');
      const results = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(results);
      expect(results.notes, 'no scenario failed').not.toEqual(expect.arrayContaining([expect.stringMatching(/failed/)]));
      for (const key of [
        'echoRttP50Us',
        'echoRttP99Us',
        'hubRttP50Us',
        'hubRttP99Us',
        'rttRatioP50',
        'rttRatioP99',
        'echoMsgsPerSec',
        'hubCmdsPerSec',
        'throughputRatio',
        'traceOverheadRatio',
      ]) {
        expect(results[key], key).toEqual(expect.any(Number));
        expect(results[key] as number, key).toBeGreaterThan(0);
      }
      expect(results.handoff).toEqual(
        expect.objectContaining({
          count: expect.any(Number),
          p50Ms: expect.any(Number),
          p99Ms: expect.any(Number),
          gapP99Ms: expect.any(Number),
          overlapP99Ms: expect.any(Number),
          positionErrorP99Ms: expect.any(Number),
        }),
      );
      expect((results.handoff as { count: number }).count).toBeGreaterThan(0);
      // The fan-out floor: the hub's frames from a server with no logic, measured as the hub is.
      const fanout = results.fanout as Record<string, number>;
      for (const key of ['rttP50Us', 'rttP99Us', 'cmdsPerSec', 'hubRttP50', 'hubThroughput']) expect(fanout[key], `fanout.${key}`).toBeGreaterThan(0);
      expect(results.connections).toEqual(
        expect.objectContaining({
          held: 40,
          hubProcesses: 1,
          hubRssPerConnKB: expect.any(Number),
          hubRssPerConnKBConnected: expect.any(Number),
          hubHeapPerConnKB: expect.any(Number),
          connectsPerHubCpuSec: expect.any(Number),
          connectLatencyP50Ms: expect.any(Number),
          connectLatencyP99Ms: expect.any(Number),
          lost: expect.any(Object),
          transfersPerSec: expect.any(Number),
          transferP99Ms: expect.any(Number),
          failures: [],
        }),
      );
      // CPU-seconds per side for each phase, so the side that limits is shown, and how long the hubs waited for a core.
      const phase = { wallS: expect.any(Number), hubsCpuS: expect.any(Number), fleetCpuS: expect.any(Number), hubsRunWaitS: expect.any(Number) };
      expect((results.connections as { phases: unknown }).phases).toEqual({ connect: phase, transfers: phase, close: phase });
      // The abuse scenario: the victim measured in every phase, every attack with what the hub did to it.
      const abuse = results.abuse as { baseline: { transfers: number; commands: number }; attacks: Record<string, Record<string, unknown>> };
      expect(abuse.baseline.transfers + abuse.baseline.commands).toBeGreaterThan(0);
      expect(Object.keys(abuse.attacks).sort()).toEqual(['flood', 'garbage', 'storm']);
      for (const phase of Object.values(abuse.attacks)) {
        expect(phase).toEqual(expect.objectContaining({ commandP99Ratio: expect.any(Number), hubCpu: expect.any(Number), attack: expect.objectContaining({ closedByHub: expect.any(Object), refused429: expect.any(Number) }) }));
      }
      expect(results.env).toEqual(expect.objectContaining({ node: process.version, cpus: expect.any(Number), date: expect.any(String) }));
      const peers = results.peers as { snapcast?: Record<string, number> };
      if (peers.snapcast)
        expect(peers.snapcast).toEqual({
          rttP50Us: expect.any(Number),
          rttP99Us: expect.any(Number),
          rttRatioP50: expect.any(Number),
          rttRatioP99: expect.any(Number),
          cmdsPerSec: expect.any(Number),
          hubThroughput: expect.any(Number),
        });
      else expect(results.notes).toEqual(expect.arrayContaining([expect.stringMatching(/snapcast skipped/)]));
      expect(run.stdout).toContain('rtt ratio p50');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 220_000);
});

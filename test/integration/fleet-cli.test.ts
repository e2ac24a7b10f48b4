import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { startTestHub } from '../helpers/start-hub.ts';

const cli = fileURLToPath(new URL('../../device-sim/src/cli.ts', import.meta.url));

/** The fleet's worker processes by shard number, from /proc (its other children are tsx's). */
function workersOf(pid: number): Map<number, number> {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
  const workers = new Map<number, number>();
  for (const child of children) {
    const argv = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
    const at = argv.indexOf('--shard');
    if (at >= 0) workers.set(Number(argv[at + 1]), child);
  }
  return workers;
}

describe('the fleet CLI', () => {
  test('a fleet whose worker dies reports which one and why, finishes with the other workers, and still prints its summary', async () => {
    await using hub = await startTestHub({ HEARTBEAT_MS: '60000' });
    // 4 users x 2 devices over 2 workers of 4 devices each.
    const fleet = spawn(
      process.execPath,
      ['--import', 'tsx', cli, 'fleet', '--hub', hub.wsUrl, '--secret', hub.secret, '--users', '4', '--devices-per-user', '2', '--per-process', '4', '--transfers-per-sec', '4', '--duration', '1', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    fleet.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines: Array<Record<string, unknown>> = [];
    const connected = new Promise<void>((resolve) =>
      createInterface({ input: fleet.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        lines.push(JSON.parse(line) as Record<string, unknown>);
        if (lines.length === 1) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => fleet.once('exit', resolve));
    await connected;
    const workers = workersOf(fleet.pid!);
    expect([...workers.keys()].sort()).toEqual([0, 1]);
    process.kill(workers.get(1)!, 'SIGKILL');

    expect(await exited, stderr.slice(-1000)).toBe(1);
    const summary = lines.at(-1)!;
    expect(summary.failures).toEqual([expect.stringMatching(/fleet worker 1 \(127\.0\.0\.3\) was killed by SIGKILL/)]);
    // The surviving worker's devices are the ones held; its transfers are counted.
    expect(summary.held).toBe(4);
    expect(summary.processes).toBe(2);
    expect(stderr).toMatch(/failed shard: fleet worker 1/);
  }, 60_000);
});

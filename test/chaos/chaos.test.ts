import { describe, expect, test } from 'vitest';
import { startTestHub } from '../helpers/start-hub.ts';
import { runChaos } from './chaos.ts';

describe('chaos', () => {
  test('under skew, jitter, drops and slow loads no two devices play at once, every transfer resolves, everyone converges', async () => {
    await using hub = await startTestHub({ GRACE_MS: '3000', PREPARE_TIMEOUT_MS: '1500', USER_COMMAND_RATE: '100', USER_COMMAND_BURST: '100' });
    const seed = Number(process.env['CHAOS_SEED'] ?? 424242);
    const report = await runChaos(hub, { seed, durationMs: 8000, users: 2, devicesPerUser: 4 });
    expect(report.violations, `seed ${seed}`).toEqual([]);
    expect(report.transfers.total).toBeGreaterThan(10);
    expect(report.transfers.committed).toBeGreaterThan(0);
    expect(report.faults.drops).toBeGreaterThan(0);
  }, 90_000);
});

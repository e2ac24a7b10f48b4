import { describe, expect, test } from 'vitest';
import { startTestHub } from '../helpers/start-hub.ts';
import { runFuzz } from './fuzz.ts';

describe('wire fuzzing', () => {
  test('every hostile frame gets a documented answer, the hub stays up, and the victim user never notices', async () => {
    await using hub = await startTestHub();
    const seed = Number(process.env['FUZZ_SEED'] ?? 20261121);
    const report = await runFuzz(hub, { seed, frames: 1200, durationMs: 8000, attackers: 6 });
    expect(report.frames).toBeGreaterThan(200);
    expect(report.unanswered, `seed ${seed}`).toEqual([]);
    expect(report.hubAlive).toBe(true);
    expect(report.victim.failed).toEqual([]);
    expect(report.victim.reconnects).toBe(0);
    expect(report.victim.commands).toBeGreaterThan(5);
  }, 60_000);
});

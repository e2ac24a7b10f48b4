import { percentile } from './stats.ts';

/** What the victim timed in one phase: every sample, so that phases can be pooled before a percentile is taken. */
export interface PhaseSamples {
  /** Transfers, send to `command.result`, ms. */
  transfer: number[];
  /** The same transfers without the switch lead the target waited out on purpose. */
  transferHub: number[];
  /** `command.volume`, send to `command.result`, ms. */
  command: number[];
  /** Operations that failed (refused or unanswered), by code. */
  failures: Record<string, number>;
}

export interface PhaseFigures {
  transfers: number;
  transferP50Ms: number;
  transferP99Ms: number;
  /** The transfer without the switch lead the target waited out on purpose (it grows with the victim's measured round trips). */
  transferHubP50Ms: number;
  transferHubP99Ms: number;
  commands: number;
  commandP50Ms: number;
  commandP99Ms: number;
  /** Operations that failed (refused or unanswered), with their codes. */
  failed: number;
  failures: Record<string, number>;
}

/** The figures of one or more phases, their samples pooled. */
export function figuresOf(phases: readonly PhaseSamples[]): PhaseFigures {
  const transfer = phases.flatMap((p) => p.transfer);
  const transferHub = phases.flatMap((p) => p.transferHub);
  const command = phases.flatMap((p) => p.command);
  const failures: Record<string, number> = {};
  for (const p of phases) for (const [code, n] of Object.entries(p.failures)) failures[code] = (failures[code] ?? 0) + n;
  return {
    transfers: transfer.length,
    transferP50Ms: percentile(transfer, 50),
    transferP99Ms: percentile(transfer, 99),
    transferHubP50Ms: percentile(transferHub, 50),
    transferHubP99Ms: percentile(transferHub, 99),
    commands: command.length,
    commandP50Ms: percentile(command, 50),
    commandP99Ms: percentile(command, 99),
    failed: Object.values(failures).reduce((a, n) => a + n, 0),
    failures,
  };
}

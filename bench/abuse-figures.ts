import { percentile, round } from './stats.ts';

/** What the victim timed in one phase: every sample, so that phases can be pooled before a percentile is taken. */
export interface PhaseSamples {
  /** Transfers, send to `command.result`, ms. */
  transfer: number[];
  /** The same transfers without the switch lead the target waited out on purpose. */
  transferHub: number[];
  /** `command.volume`, send to `command.result`, ms. */
  command: number[];
  /** The same commands: commandId, sent and result read, in server time (ms since the epoch; the same wall clock as the hub's). */
  commandTimes: Array<[string, number, number]>;
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

/** When the hub handled a command and wrote its result, server time, by commandId (null: not written). */
export type HubStamps = Record<string, [number, number | null]>;

/**
 * Where the victim's command time went, from its own stamps and the hub's on one clock (the same
 * machine): sent -> handled by the hub (the victim's write, the kernel, the wait for the hub's
 * event loop, the frame's parse) -> result written (the hub's own work) -> read by the victim
 * (the kernel and the victim being scheduled on the load core, beside the attacker).
 */
export interface CommandSplit {
  /** Commands with both hub stamps. */
  matched: number;
  toHubP50Ms: number;
  toHubP99Ms: number;
  inHubP50Ms: number;
  inHubP99Ms: number;
  backP50Ms: number;
  backP99Ms: number;
  /** Sent -> result written: everything the hub can be the cause of (its loop's wait included), the hub's share. */
  untilWrittenP50Ms: number;
  untilWrittenP99Ms: number;
  /** The least of each outer leg: a sanity check that the two clocks agree (neither far below 0). */
  toHubMinMs: number;
  backMinMs: number;
  /** Of the slowest 1% of commands end to end (at least 5): the share of their time in each leg. */
  tail: { toHub: number; inHub: number; back: number };
}

export function splitOf(phases: readonly PhaseSamples[], stamps: HubStamps): CommandSplit {
  const rows: Array<{ toHub: number; inHub: number; back: number; total: number }> = [];
  for (const [id, sent, read] of phases.flatMap((p) => p.commandTimes)) {
    const s = stamps[id];
    if (!s || s[1] === null) continue;
    rows.push({ toHub: s[0] - sent, inHub: s[1] - s[0], back: read - s[1], total: read - sent });
  }
  const pick = (f: (r: (typeof rows)[number]) => number) => rows.map(f);
  const slow = [...rows].sort((a, b) => b.total - a.total).slice(0, Math.max(5, Math.ceil(rows.length / 100)));
  const total = slow.reduce((a, r) => a + r.total, 0);
  const share = (f: (r: (typeof rows)[number]) => number) => round(slow.reduce((a, r) => a + f(r), 0) / total);
  return {
    matched: rows.length,
    toHubP50Ms: percentile(pick((r) => r.toHub), 50),
    toHubP99Ms: percentile(pick((r) => r.toHub), 99),
    inHubP50Ms: percentile(pick((r) => r.inHub), 50),
    inHubP99Ms: percentile(pick((r) => r.inHub), 99),
    backP50Ms: percentile(pick((r) => r.back), 50),
    backP99Ms: percentile(pick((r) => r.back), 99),
    untilWrittenP50Ms: percentile(pick((r) => r.toHub + r.inHub), 50),
    untilWrittenP99Ms: percentile(pick((r) => r.toHub + r.inHub), 99),
    toHubMinMs: Math.min(...pick((r) => r.toHub)),
    backMinMs: Math.min(...pick((r) => r.back)),
    tail: { toHub: share((r) => r.toHub), inHub: share((r) => r.inHub), back: share((r) => r.back) },
  };
}

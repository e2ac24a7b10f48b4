import { abuseScenario, type AbusePhase, type AbuseResult, type AbuseSizes, type AttackKind } from './abuse.ts';
import { progress } from './proc.ts';
import type { ServerOptions } from './scenarios.ts';
import { fmt } from './table.ts';

/** The abuse scenario's part of `npm run bench`: its options, its sizes, its run and its rows in the report. */

export const ABUSE_USAGE = `  --abuse-phase S    seconds the abuse scenario measures each phase (default 20, quick 5)
  --abuse-repeats N  times each attack is measured, each time between two baselines (default 3, quick 1)
  --abuse-attacks a,b  only these attacks: garbage, storm, flood (default all; fewer to profile one)`;

export const ABUSE_OPTIONS = {
  'abuse-phase': { type: 'string' },
  'abuse-repeats': { type: 'string' },
  'abuse-attacks': { type: 'string' },
} as const;

type AbuseValues = Partial<Record<keyof typeof ABUSE_OPTIONS, string>>;
/** A positive integer option, or its fallback (the runner's own, which exits with the usage on a bad one). */
type Positive = (v: string | undefined, name: string, fallback: number) => number;
/** Says what is wrong with the options and exits. */
type Fail = (message: string) => never;

const ATTACKS: AttackKind[] = ['garbage', 'storm', 'flood'];

/**
 * The scenario's sizes for a run's mode. The smoke only checks that every phase runs: its phases
 * are long enough for a few victim operations on a busy machine (a transfer alone takes ~150 ms),
 * and a phase that still measured nothing is a note in the results, not a failure.
 */
export function abuseSizes(values: AbuseValues, mode: 'smoke' | 'quick' | 'full', positive: Positive, fail: Fail): AbuseSizes {
  const smoke = mode === 'smoke';
  return {
    phaseMs: smoke ? 2000 : positive(values['abuse-phase'], 'abuse-phase', mode === 'quick' ? 5 : 20) * 1000,
    rampMs: smoke ? 200 : 1000,
    settleMs: smoke ? 200 : 2000,
    victimIntervalMs: 25,
    parallel: smoke ? 2 : 8,
    framesPerSocket: smoke ? 40 : 400,
    repeats: smoke ? 1 : positive(values['abuse-repeats'], 'abuse-repeats', mode === 'quick' ? 1 : 3),
    attacks: abuseAttacks(values['abuse-attacks'], fail),
  };
}

/** The attacks named by --abuse-attacks, in the scenario's order. */
function abuseAttacks(v: string | undefined, fail: Fail): AttackKind[] {
  if (v === undefined) return ATTACKS;
  const named = v.split(',').map((s) => s.trim());
  const unknown = named.filter((n) => !ATTACKS.includes(n as AttackKind));
  if (unknown.length > 0 || named.length === 0) fail(`--abuse-attacks: one or more of ${ATTACKS.join(', ')}`);
  return ATTACKS.filter((a) => named.includes(a));
}

/** Run the scenario; a failure (or a phase with no sample) becomes a note. */
export async function runAbuse(sizes: AbuseSizes, opts: ServerOptions, notes: string[]): Promise<AbuseResult | undefined> {
  try {
    const result = await abuseScenario(sizes, opts);
    if (result.empty.length > 0) notes.push(`abuse: the victim completed no command in phase(s) ${result.empty.join(', ')}`);
    return result;
  } catch (err) {
    notes.push(`abuse failed: ${(err as Error).message.split('\n')[0]}`);
    progress(`  failed: ${(err as Error).message}`);
    return undefined;
  }
}

/** The scenario's rows of the report: figure, value, target, verdict. */
export function abuseRows(a: AbuseResult, verdict: (ok: boolean | null) => string): Array<Array<string | number>> {
  const atMost = (v: number, limit: number) => (Number.isFinite(v) ? v <= limit : null);
  const figures = (p: AbusePhase) => `${fmt(p.transferP50Ms)} / ${fmt(p.transferP99Ms)}  ${fmt(p.commandP50Ms)} / ${fmt(p.commandP99Ms)}  lag ${fmt(p.hubLagP99Ms)} / ${fmt(p.hubLagMaxMs)}`;
  const split = (p: AbusePhase) => {
    const s = p.split;
    return `${fmt(s.toHubP99Ms)} / ${fmt(s.inHubP99Ms)} / ${fmt(s.backP99Ms)}; ${fmt(s.untilWrittenP50Ms)} / ${fmt(s.untilWrittenP99Ms)}; ${fmt(100 * s.tail.toHub)}/${fmt(100 * s.tail.inHub)}/${fmt(100 * s.tail.back)} %`;
  };
  const waits = (p: AbusePhase) => `${fmt(p.victimRunWaitMs)} / ${fmt(p.hubRunWaitMs)}; in all ${fmt(p.victimQueuedMsPerSec)} / ${fmt(p.hubQueuedMsPerSec)} ms/s`;
  const rows: Array<Array<string | number>> = [];
  rows.push([`abuse (${a.repeats} repeat(s), ${a.raisedPriority ? 'hub and victim at nice -10' : 'usual priority'}, attackers at nice 19, load average ${fmt(a.loadAvg1m.min)}-${fmt(a.loadAvg1m.max)}): victim transfer p50/p99, command p50/p99; hub event-loop lag p99/max (ms)`, '', '', '']);
  const detail = (p: AbusePhase) => [
    [`    command p99 to hub / in hub / back; sent->written p50/p99; slowest 1% to/in/back`, split(p), '', ''],
    [`    run-queue wait per slice, victim / hub (ms)`, waits(p), '', ''],
  ];
  rows.push([`  no attack, ${a.baseline.phases} phases pooled (${a.baseline.transfers} + ${a.baseline.commands} ops, hub cpu ${fmt(a.baseline.hubCpu)})`, figures(a.baseline), 'baseline', a.baseline.failed ? `${a.baseline.failed} FAILED` : '']);
  rows.push([`    transfer without the switch lead p50 / p99`, `${fmt(a.baseline.transferHubP50Ms)} / ${fmt(a.baseline.transferHubP99Ms)}`, '', '']);
  rows.push(...detail(a.baseline));
  for (const [kind, p] of Object.entries(a.attacks)) {
    if (!p) continue;
    const worst = Math.max(p.transferP99Ratio, p.commandP99Ratio);
    rows.push([`  ${kind}, ${p.phases} phases pooled (${p.transfers} + ${p.commands} ops, hub cpu ${fmt(p.hubCpu)})`, figures(p), '', p.failed ? `${p.failed} FAILED` : '']);
    rows.push([`    p99 ratios transfer / command, median of repeats`, `${fmt(p.transferP99Ratio)} / ${fmt(p.commandP99Ratio)}`, 'p99 <= 1.5x', verdict(atMost(worst, 1.5))]);
    rows.push([`    hub's share (command sent->written) p99 ratio, median`, fmt(p.untilWrittenP99Ratio), 'p99 <= 1.5x', verdict(atMost(p.untilWrittenP99Ratio, 1.5))]);
    rows.push([`    per repeat: transfer/command/hub's share`, p.repeats.map((x) => `${fmt(x.transferP99Ratio)}/${fmt(x.commandP99Ratio)}/${fmt(x.untilWrittenP99Ratio)}`).join(', '), '', '']);
    rows.push([`    pooled: all attack phases vs all baselines`, `${fmt(p.pooledTransferP99Ratio)} / ${fmt(p.pooledCommandP99Ratio)}`, '', '']);
    rows.push([`    transfer without the switch lead p50 / p99, ratio`, `${fmt(p.transferHubP50Ms)} / ${fmt(p.transferHubP99Ms)}, ${fmt(p.transferHubP99Ratio)}`, '', '']);
    rows.push(...detail(p));
    const at = p.attack;
    if (at) {
      const closed = Object.entries(at.closedByHub).map(([code, n]) => `${n}x${code}`).join(' ') || 'none';
      rows.push([`    attack: sockets, closed by hub, 429s, reset unanswered, frames`, `${at.sockets}, ${closed}, ${at.refused429}, ${at.reset}, ${at.frames}`, '', '']);
    }
  }
  return rows;
}

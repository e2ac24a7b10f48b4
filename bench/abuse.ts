import type { AttackReport } from '@handoff/device-sim';
import type { AttackerSpec } from './abuse-attacker.ts';
import type { PhaseFigures, VictimSpec } from './abuse-victim.ts';
import { cpuSeconds } from './cpu.ts';
import { CORES, progress, start, type Proc } from './proc.ts';
import { SECRET, startHubProcess, type ServerOptions } from './scenarios.ts';

/** Sizes of the abuse scenario. */
export interface AbuseSizes {
  /** How long each phase is measured. */
  phaseMs: number;
  /** Attack running before its phase is measured, and quiet after it, so phases do not bleed. */
  rampMs: number;
  settleMs: number;
  /** Pause between the victim's operations. */
  victimIntervalMs: number;
  /** Sockets (or upgrade attempts) at once, per attack. */
  parallel: number;
  /** Hostile frames on each socket of the garbage churn. */
  framesPerSocket: number;
}

export type AttackKind = AttackerSpec['kind'];

export interface AbusePhase extends PhaseFigures {
  /** Share of core 0 the hub used while the phase was measured. */
  hubCpu: number;
  /** How late the hub's event loop ran (p99, worst) while the phase was measured: the delay the hub itself added. */
  hubLagP99Ms: number;
  hubLagMaxMs: number;
  /** What the hub did to the attack (absent in the baseline). */
  attack?: AttackReport;
}

export interface AbuseResult {
  baseline: AbusePhase;
  attacks: Partial<Record<AttackKind, AbusePhase>>;
}

const ATTACKS: Array<{ kind: AttackKind; what: string }> = [
  { kind: 'garbage', what: 'malformed-frame churn' },
  { kind: 'storm', what: 'connection storm from one address' },
  { kind: 'flood', what: 'valid-command flood from one user' },
];

/** Every attack socket comes from here; the victim from 127.0.0.1. */
const ATTACK_ADDRESS = '127.0.0.2';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One user's flood against another user's latency. The hub runs with its default limits on core
 * 0; the victim (one user, three devices, transferring and changing the volume throughout) and
 * each attacker are processes on core 1. The victim's transfer and command latencies are taken
 * without an attack, then under each attack in turn, in the same run.
 */
export async function abuseScenario(sizes: AbuseSizes, opts: ServerOptions): Promise<AbuseResult> {
  const hub = await startHubProcess(opts, {}, { limits: 'defaults' });
  let victim: Proc | null = null;
  try {
    const victimSpec: VictimSpec = { url: hub.wsUrl, secret: SECRET, intervalMs: sizes.victimIntervalMs };
    victim = start('./abuse-victim.ts', [JSON.stringify(victimSpec)], { core: CORES.load });
    await victim.next(60_000);
    const tell = (m: object) => victim!.child.stdin!.write(`${JSON.stringify(m)}\n`);
    const hubLag = async () => {
      hub.proc.child.stdin!.write('lag\n');
      return hub.proc.next<{ lagP99Ms: number; lagMaxMs: number }>(30_000);
    };
    const measure = async (name: string): Promise<{ hubCpu: number; hubLagP99Ms: number; hubLagMaxMs: number }> => {
      await hubLag();
      const cpu0 = cpuSeconds(hub.proc.pid);
      const t0 = performance.now();
      tell({ phase: name });
      await sleep(sizes.phaseMs);
      tell({ phase: null });
      const hubCpu = (cpuSeconds(hub.proc.pid) - cpu0) / ((performance.now() - t0) / 1000);
      const { lagP99Ms, lagMaxMs } = await hubLag();
      return { hubCpu, hubLagP99Ms: lagP99Ms, hubLagMaxMs: lagMaxMs };
    };

    await sleep(sizes.settleMs);
    progress('  abuse: baseline (no attack)');
    const hubSide: Record<string, { hubCpu: number; hubLagP99Ms: number; hubLagMaxMs: number }> = { baseline: await measure('baseline') };
    const reports: Partial<Record<AttackKind, AttackReport>> = {};
    for (const { kind, what } of ATTACKS) {
      progress(`  abuse: ${what}`);
      const spec: AttackerSpec = { kind, url: hub.wsUrl, secret: SECRET, localAddress: ATTACK_ADDRESS, parallel: sizes.parallel, framesPerSocket: sizes.framesPerSocket };
      const attacker = start('./abuse-attacker.ts', [JSON.stringify(spec)], { core: CORES.load, lowPriority: true });
      try {
        await attacker.next(30_000);
        await sleep(sizes.rampMs);
        hubSide[kind] = await measure(kind);
        attacker.child.stdin!.write('stop\n');
        reports[kind] = await attacker.next<AttackReport>(60_000);
      } finally {
        await attacker.stop();
      }
      await sleep(sizes.settleMs);
    }
    tell({ end: true });
    const { phases } = await victim.next<{ phases: Record<string, PhaseFigures> }>(60_000);
    const phase = (name: string, attack?: AttackReport): AbusePhase => {
      const figures = phases[name];
      if (!figures) throw new Error(`the victim measured nothing in phase ${name}`);
      return { ...figures, ...(hubSide[name] ?? { hubCpu: NaN, hubLagP99Ms: NaN, hubLagMaxMs: NaN }), ...(attack ? { attack } : {}) };
    };
    const attacks: Partial<Record<AttackKind, AbusePhase>> = {};
    for (const { kind } of ATTACKS) attacks[kind] = phase(kind, reports[kind]);
    return { baseline: phase('baseline'), attacks };
  } finally {
    await victim?.stop();
    await hub.proc.stop();
  }
}

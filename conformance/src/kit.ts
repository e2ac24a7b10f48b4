import { randomBytes } from 'node:crypto';
import { parseConfig, signToken, silentLog, startHub, systemClock } from '@handoff/server';
import { DEFAULT_KIT_SETTINGS, Kit, type KitSettings } from './context.ts';
import { DeviceProcess } from './device-process.ts';
import { Partner } from './partner.ts';
import { Probe } from './probe.ts';
import { RULE_IDS, RULES, type RuleId, type RuleResult } from './rules.ts';
import { abort } from './scenarios/abort.ts';
import { grace, liveness, reconnect, replaced } from './scenarios/connection.ts';
import { fencing, follow, volume } from './scenarios/follow.ts';
import { groupDrift } from './scenarios/groups.ts';
import { clock, hello, helloId } from './scenarios/hello-clock.ts';
import type { Scenario } from './scenarios/scenario.ts';
import { spread, switches } from './scenarios/switch.ts';
import { unknownFields } from './scenarios/unknown-fields.ts';
import { Tap } from './tap.ts';

/** In the order they run: each leaves the device connected for the next, and 4013 comes last. */
const SCENARIOS: Scenario[] = [
  hello,
  clock,
  follow,
  fencing,
  volume,
  switches,
  abort,
  unknownFields,
  groupDrift,
  reconnect,
  liveness,
  grace,
  replaced,
];

/** The environment a device under test is given (docs/CONFORMANCE.md). */
export interface DeviceEnv {
  HANDOFF_URL: string;
  HANDOFF_TOKEN: string;
  HANDOFF_PROBE_URL: string;
  HANDOFF_DEVICE_ID: string;
}

export interface ConformanceOptions {
  /** A command the kit starts (with the environment), or `listen`: the kit waits on this address for a device started by hand. */
  device: { command: string } | { listen: { host: string; port: number } };
  /** Only these rules (default: all). */
  rules?: RuleId[];
  settings?: Partial<KitSettings>;
  /** How long to wait for the device's hello. @default 20000 (a command) or 120000 (listen) */
  connectTimeoutMs?: number;
  /** Progress lines (the environment to set, each rule as it finishes). */
  onProgress?: (line: string) => void;
}

export interface ErrorStats {
  n: number;
  p50: number | null;
  p99: number | null;
  /** Every measured error (ms, positive: late). */
  samples: number[];
}

export interface ConformanceReport {
  passed: boolean;
  device: string;
  deviceId: string | null;
  settings: KitSettings;
  rules: Array<RuleResult & { clients: number; title: string }>;
  /** The device's start and stop errors against T in the switch scenario. */
  timing: { start: ErrorStats; stop: ErrorStats };
  /** The last lines the device printed (a device started by the kit). */
  output?: string;
}

/** Run the kit against one device: a real hub with short settings, the tap, the probe, the partner, every scenario. */
export async function runConformance(opts: ConformanceOptions): Promise<ConformanceReport> {
  const settings = { ...DEFAULT_KIT_SETTINGS, ...opts.settings };
  const wanted = new Set(opts.rules ?? RULE_IDS);
  const progress = opts.onProgress ?? (() => {});
  const now = () => systemClock.now();
  const userId = `conformance-${randomBytes(3).toString('hex')}`;
  const hub = await startHub(
    parseConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      HUB_SECRET: randomBytes(24).toString('hex'),
      HEARTBEAT_MS: String(settings.heartbeatMs),
      GRACE_MS: String(settings.graceMs),
      PREPARE_TIMEOUT_MS: String(settings.prepareTimeoutMs),
      SWITCH_TIMEOUT_MS: String(settings.switchTimeoutMs),
      SESSION_IDLE_MS: '600000',
      LOG_LEVEL: 'error',
    }),
    { log: silentLog },
  );
  const listen = 'listen' in opts.device ? opts.device.listen : null;
  const tap = await Tap.start(hub.wsUrl, now, listen?.host, listen?.port);
  const probe = await Probe.start(now, listen?.host);
  const token = await signToken(hub.secret, { userId, role: 'device' }, 3600);
  const partner = new Partner('kit-partner', hub.wsUrl, token, now);
  const kit = new Kit(hub, tap, probe, partner, userId, settings, now);
  let proc: DeviceProcess | null = null;
  const results = new Map<RuleId, RuleResult>();
  try {
    await partner.connect();
    const env: DeviceEnv = {
      HANDOFF_URL: tap.url,
      HANDOFF_TOKEN: token,
      HANDOFF_PROBE_URL: probe.url,
      HANDOFF_DEVICE_ID: `dut-${randomBytes(3).toString('hex')}`,
    };
    if ('command' in opts.device) proc = DeviceProcess.start(opts.device.command, { ...env });
    else
      progress(
        `start the device with:\n${Object.entries(env)
          .map(([k, v]) => `  ${k}=${v}`)
          .join('\n')}`,
      );
    const connectTimeoutMs = opts.connectTimeoutMs ?? (proc ? 20_000 : 120_000);
    const welcome = tap.until(() => tap.frames.some((f) => f.dir === 'out' && f.msg?.type === 'hub.welcome'), connectTimeoutMs);
    const welcomed = await Promise.race([welcome, ...(proc ? [proc.ended.then(() => false)] : [])]);
    kit.deviceId = helloId(tap.frames) ?? '';
    if (!welcomed || !kit.deviceId || proc?.exited) {
      const why = proc?.exited
        ? 'the device exited before it was welcomed'
        : `no device was welcomed within ${connectTimeoutMs} ms`;
      for (const id of wanted) results.set(id, { id, pass: false, evidence: [`FAIL: ${why}`] });
    } else {
      for (const scenario of SCENARIOS) {
        if (!scenario.rules.some((r) => wanted.has(r))) continue;
        for (const r of await runOne(scenario, kit)) {
          if (!wanted.has(r.id)) continue;
          results.set(r.id, r);
          progress(`${r.pass ? 'pass' : 'FAIL'}  ${r.id}`);
        }
      }
    }
  } finally {
    partner.close();
    await proc?.stop();
    await tap.close();
    await probe.close();
    await hub.close();
  }
  const rules = [...wanted].map((id) => ({
    ...(results.get(id) ?? { id, pass: false, evidence: ['FAIL: not run'] }),
    ...RULES[id],
  }));
  return {
    passed: rules.every((r) => r.pass),
    device: 'command' in opts.device ? opts.device.command : `listening on ${tap.url}`,
    deviceId: kit.deviceId || null,
    settings,
    rules,
    timing: { start: stats(kit.timing.start), stop: stats(kit.timing.stop) },
    ...(proc ? { output: proc.tail() } : {}),
  };
}

/** One scenario, never longer than a minute; a kit error fails its rules with the error as evidence. */
async function runOne(scenario: Scenario, kit: Kit): Promise<RuleResult[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error('scenario took over 60 s')), 60_000)),
  );
  try {
    return await Promise.race([scenario.run(kit), timeout]);
  } catch (err) {
    return scenario.rules.map((id) => ({ id, pass: false, evidence: [`FAIL: kit error: ${(err as Error).message}`] }));
  } finally {
    clearTimeout(timer);
  }
}

function stats(samples: number[]): ErrorStats {
  if (!samples.length) return { n: 0, p50: null, p99: null, samples };
  const { p50, p99 } = spread(samples);
  return { n: samples.length, p50, p99, samples: samples.map((s) => Number(s.toFixed(2))) };
}

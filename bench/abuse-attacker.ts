import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { commandFlood, connectionStorm, garbageChurn, type Attack } from '@handoff/device-sim';
import { deviceUrl } from './connect.ts';

/**
 * One attack of the abuse scenario, as its own process (on the load core, beside the victim):
 * starts it, says so on stdout, and on `stop` (or when the runner goes away) prints what the hub
 * did to it as one JSON line.
 */
export interface AttackerSpec {
  kind: 'garbage' | 'storm' | 'flood';
  url: string;
  secret: string;
  /** Loopback source address of every attack socket (not the victim's). */
  localAddress: string;
  parallel: number;
  framesPerSocket: number;
  /**
   * The attacker's CPU priority once started. `normal`: as started, for a victim that runs
   * SCHED_FIFO (abuse.ts `raise`), which preempts it at once. `nice`: nice 19 (set here, after
   * the process has loaded, not at spawn: on a busy machine a nice-19 node took over 30 s just to
   * start), for a victim at nice -10, which then takes the load core first, though a woken victim
   * still waits for the attacker's running slice to end, which the kernel notices at its next
   * tick (4 ms here). Never lower than that: the kernel weighs each session's share of a core by
   * its processes' priorities, so an attacker at SCHED_IDLE beside a SCHED_FIFO victim got almost
   * none of the load core against other sessions' work (the attack weakened, not the victim spared).
   */
  priority: 'normal' | 'nice';
}

const spec = JSON.parse(process.argv[2] ?? '{}') as AttackerSpec;
// One attacker user per attack: the devices one attack left registered never limit the next one.
const user = `mallory-${spec.kind}`;
const url = await deviceUrl(spec.url, spec.secret, user);
if (spec.priority === 'nice') setPriority(19);
const base = { url, localAddress: spec.localAddress, parallel: spec.parallel };
const attack: Attack =
  spec.kind === 'garbage'
    ? garbageChurn({ ...base, framesPerSocket: spec.framesPerSocket })
    : spec.kind === 'storm'
      ? connectionStorm(base)
      : commandFlood({ ...base, user });
process.stdout.write(`${JSON.stringify({ started: true, priority: spec.priority })}\n`);
for await (const line of createInterface({ input: process.stdin })) if (line.trim() === 'stop') break;
const report = await attack.stop();
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);

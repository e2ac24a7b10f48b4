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
   * Lowest CPU priority (nice 19) once started: sharing the load core with the victim, the attack
   * takes only the time the victim leaves idle there. Set here, after the process has loaded, not
   * at spawn: on a busy machine a nice-19 node took over 30 s just to start. A woken victim still
   * waits for the attacker's running slice to end, which the kernel notices at its next tick (4 ms
   * here): the victim's run-queue waits in the report show it. Lower policies were tried and
   * dropped (docs/BENCHMARKS.md): SCHED_IDLE starved the attack itself against other sessions'
   * work, since the kernel weighs a session's share of a core by its processes' priorities.
   */
  lowPriority: boolean;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as AttackerSpec;
// One attacker user per attack: the devices one attack left registered never limit the next one.
const user = `mallory-${spec.kind}`;
const url = await deviceUrl(spec.url, spec.secret, user);
if (spec.lowPriority) setPriority(19);
const base = { url, localAddress: spec.localAddress, parallel: spec.parallel };
const attack: Attack =
  spec.kind === 'garbage'
    ? garbageChurn({ ...base, framesPerSocket: spec.framesPerSocket })
    : spec.kind === 'storm'
      ? connectionStorm(base)
      : commandFlood({ ...base, user });
process.stdout.write(`${JSON.stringify({ started: true })}\n`);
for await (const line of createInterface({ input: process.stdin })) if (line.trim() === 'stop') break;
const report = await attack.stop();
// Exit once the pipe took the whole line: process.exit() right after a write cuts a long one short.
process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));

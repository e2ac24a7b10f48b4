import { spawnSync } from 'node:child_process';
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
   * How the attacker yields the load core to the victim once started (set here, after the process
   * has loaded, not at spawn: on a busy machine a nice-19 node took over 30 s just to start).
   * `nice`: nice 19. The attack takes only the time the victim leaves idle there, but a victim
   * woken by its result still waits for the attacker's running slice to end, which the kernel
   * notices at its next tick (4 ms here). `idle`: nice 19 and the SCHED_IDLE policy (`chrt`, as
   * root), which a waking victim preempts at once; the attack still has all the time the victim
   * leaves idle. `idle` falls back to `nice` where the policy cannot be set.
   */
  priority: 'nice' | 'idle';
}

const spec = JSON.parse(process.argv[2] ?? '{}') as AttackerSpec;
// One attacker user per attack: the devices one attack left registered never limit the next one.
const user = `mallory-${spec.kind}`;
const url = await deviceUrl(spec.url, spec.secret, user);
setPriority(19);
const priority = spec.priority === 'idle' && spawnSync('chrt', ['--idle', '--all-tasks', '--pid', '0', String(process.pid)]).status === 0 ? 'idle' : 'nice';
const base = { url, localAddress: spec.localAddress, parallel: spec.parallel };
const attack: Attack =
  spec.kind === 'garbage'
    ? garbageChurn({ ...base, framesPerSocket: spec.framesPerSocket })
    : spec.kind === 'storm'
      ? connectionStorm(base)
      : commandFlood({ ...base, user });
process.stdout.write(`${JSON.stringify({ started: true, priority })}\n`);
for await (const line of createInterface({ input: process.stdin })) if (line.trim() === 'stop') break;
const report = await attack.stop();
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);

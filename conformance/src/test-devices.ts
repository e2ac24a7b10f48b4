import { execFileSync } from 'node:child_process';

/** The devices the kit's own tests certify: commands run from the repository root. */
export const SIM_SPEAKER = 'node --import tsx device-sim/src/conformance-speaker.ts';

/** The Python example speaker, optionally broken on purpose (`--break`). */
export function pythonSpeaker(broken?: 'fencing' | 'arrival' | 'pings' | 'reports'): string {
  return `${python()} examples/python-speaker/speaker.py${broken ? ` --break ${broken}` : ''}`;
}

/** A python3 that can import `websockets` (Debian's, which scripts/test.sh installs it for, comes first). */
function python(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(candidate, ['-c', 'import websockets'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error('no python3 with the websockets package: apt-get install python3-websockets (scripts/test.sh does)');
}

/** Timings for the kit's own test runs: a busy 2-core machine runs other suites meanwhile, so switches get more slack than a certification run. */
export const TEST_SETTINGS = { transfers: 3, toleranceMs: 50 };

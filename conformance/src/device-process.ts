import { spawn, type ChildProcess } from 'node:child_process';

/** The device under test as a child process: started with the kit's environment, its output kept for the report. */
export class DeviceProcess {
  private output = '';
  /** Resolves when the device's process ends. */
  readonly ended: Promise<void>;
  private constructor(private readonly child: ChildProcess) {
    this.ended = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (d: Buffer) => {
      this.output = (this.output + String(d)).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Run `command` through the shell with `env` added to the kit's own environment. */
  static start(command: string, env: Record<string, string>): DeviceProcess {
    const child = spawn('sh', ['-c', command], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new DeviceProcess(child);
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The last lines the device printed. */
  tail(lines = 20): string {
    return this.output.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM to the device's process group, then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 1500): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const pid = this.child.pid;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    signal(pid, 'SIGTERM');
    const timer = setTimeout(() => signal(pid, 'SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

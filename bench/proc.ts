import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The core each side runs on: the hub (or the baseline server) on 0, the load on 1. */
export const CORES = { server: 0, load: 1 } as const;

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
export const pinned = hasTaskset;

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** The next JSON line the process prints on stdout. */
  next<T = Record<string, unknown>>(timeoutMs?: number): Promise<T>;
  /** Resident set size now, in bytes (from /proc). */
  rssBytes(): number;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  core: number;
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /**
   * Lowest CPU priority (nice 19): an attacker sharing the load core with the process it attacks
   * takes only the time that process leaves idle, so what is measured is the server's share.
   */
  lowPriority?: boolean;
  /** Forward the child's stderr to ours (progress of long loads); its tail is kept either way. */
  stderr?: 'inherit' | 'ignore';
}

const live = new Set<ChildProcess>();
/** Stop every process still running (the runner was interrupted). */
export function stopAll(): void {
  for (const child of live) child.kill('SIGTERM');
}

/** Run a file of bench/ (or any path) as its own node process, pinned to one core: TypeScript through tsx, JavaScript (a bundle) as is. */
export function start(file: string, args: string[], opts: SpawnOptions): Proc {
  const path = file.startsWith('/') ? file : fileURLToPath(new URL(file, import.meta.url));
  const loader = path.endsWith('.js') ? [] : ['--import', 'tsx'];
  const node = [...(opts.nodeFlags ?? []), ...loader, path, ...args];
  const pinnedArgv = hasTaskset ? ['taskset', '-c', String(opts.core), process.execPath, ...node] : [process.execPath, ...node];
  const [cmd, ...argv] = opts.lowPriority ? ['nice', '-n', '19', ...pinnedArgv] : pinnedArgv;
  const child = spawn(cmd!, argv, {
    env: { ...process.env, ...opts.env },
    // stdin stays open while this process lives: a child whose stdin ends knows the runner is gone.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  let exitStatus = '';
  child.once('exit', (code, signal) => {
    live.delete(child);
    exitStatus = signal ? `killed by ${signal}` : `code ${code}`;
  });
  // The tail of stderr is kept even when it is passed on, so that a process that dies says why.
  let errTail = '';
  child.stderr.on('data', (d: Buffer) => {
    if (opts.stderr === 'inherit') process.stderr.write(d);
    errTail = (errTail + d.toString()).slice(-4000);
  });
  const died = () => {
    const lines = errTail.trim().split('\n');
    return new Error(`${file} exited (${exitStatus}); last on stderr: ${lines.at(-1) || '(nothing)'}\n${lines.slice(-6, -1).join('\n')}`);
  };
  const lines: string[] = [];
  const waiting: Array<(line: string | null) => void> = [];
  let ended = false;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      ended = true;
      for (const w of waiting.splice(0)) w(null);
      resolve();
    }),
  );
  return {
    child,
    pid: child.pid!,
    next<T>(timeoutMs = 120_000): Promise<T> {
      const queued = lines.shift();
      if (queued) return Promise.resolve(JSON.parse(queued) as T);
      if (ended) return Promise.reject(died());
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${file}: no answer in ${timeoutMs} ms`)), timeoutMs);
        waiting.push((line) => {
          clearTimeout(timer);
          if (line === null) reject(died());
          else resolve(JSON.parse(line) as T);
        });
      });
    },
    rssBytes() {
      // With taskset the child is taskset, which execs node: same pid.
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
      return kb ? Number(kb) * 1024 : NaN;
    },
    async stop() {
      if (ended) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Print progress for people; stdout stays for results. */
export const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface MainProcess {
  child: ChildProcessByStdio<null, null, Readable>;
  /** Everything written to stderr so far, in lines. */
  stderr: () => string[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** How the hub is started: its TypeScript through tsx (as `npm start` does), or compiled JavaScript run by plain node. */
const FROM_SOURCE = ['--import', 'tsx', 'server/src/main.ts'];

/**
 * `server/src/main.ts` as its own process, as an operator runs it; `env` is all the environment it
 * gets (plus PATH). `args` replaces node's arguments, e.g. the path of a compiled hub.
 */
export function runMain(env: Record<string, string>, args: readonly string[] = FROM_SOURCE): MainProcess {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => text.split('\n').filter(Boolean) };
}

export interface ListeningMain extends MainProcess, AsyncDisposable {
  /** http://127.0.0.1:port */
  url: string;
}

/** `runMain` on a free loopback port with JSON logs, once it listens (the port read from its `hub listening` line); dispose to kill it. */
export async function startMain(
  env: Record<string, string> = {},
  timeoutMs = 20_000,
  args: readonly string[] = FROM_SOURCE,
): Promise<ListeningMain> {
  const run = runMain({ PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', ...env }, args);
  const start = Date.now();
  for (;;) {
    const listening = run.stderr().find((l) => l.includes('"msg":"hub listening'));
    if (listening) {
      const { port } = JSON.parse(listening) as { port: number };
      const dispose = async () => {
        if (run.child.exitCode === null) run.child.kill('SIGKILL');
        await run.exited;
      };
      return { ...run, url: `http://127.0.0.1:${port}`, [Symbol.asyncDispose]: dispose };
    }
    if (run.child.exitCode !== null || Date.now() - start > timeoutMs) {
      run.child.kill('SIGKILL');
      throw new Error(`hub did not start:\n${run.stderr().join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A free TCP port on loopback (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedis extends AsyncDisposable {
  port: number;
  url: string;
  /** A client (to this server, or through a proxy on `viaPort`); closed with the server. */
  client(viaPort?: number): Redis;
  /** Stop (SIGTERM: it finishes writing its AOF) and start again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real `redis-server` on a free loopback port, in a temporary directory, with the append-only
 * file fsynced on every write by default (so a restart loses nothing). Needs `redis-server` on
 * the PATH (scripts/test.sh installs it through apt).
 */
export async function startRedis(opts: { aof?: boolean; fsync?: 'always' | 'everysec' | 'no' } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'handoff-redis-'));
  const clients: Redis[] = [];
  let proc: ChildProcess | null = null;
  const aof = opts.aof ?? true;

  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--protected-mode', 'no'];
    if (aof) args.push('--appendonly', 'yes', '--appendfsync', opts.fsync ?? 'always');
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run redis-server (is it installed? scripts/test.sh installs it): ${err.message}`));
      });
      child.stdout.on('data', (d: Buffer) => {
        out += String(d);
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${out}`));
      });
    });
  };
  const halt = async () => {
    const child = proc;
    proc = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };

  await launch();
  const stop = async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await halt();
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client(viaPort = port) {
      const c = new Redis(viaPort, '127.0.0.1', { maxRetriesPerRequest: null });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    async restart(downMs = 0) {
      await halt();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

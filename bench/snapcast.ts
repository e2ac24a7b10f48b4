import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORES, pinned } from './proc.ts';

/** Whether both Snapcast programs (Debian packages snapserver, snapclient) are installed. */
export function snapcastInstalled(): boolean {
  const ok = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
  return ok('snapserver') && ok('snapclient');
}

export interface SnapcastPeer {
  /** JSON-RPC WebSocket. */
  url: string;
  /** A connected snapclient whose volume the benchmark sets. */
  clientId: string;
  /** The snapserver process (taskset execs it: same pid), for its CPU. */
  serverPid: number;
  stop(): Promise<void>;
}

/**
 * A Snapcast server on loopback (empty config file, its own data folder and fifo, every port on
 * 127.0.0.1) pinned to the server core, with two `snapclient --player file:filename=null`
 * clients on the load core. Resolves once both clients are connected.
 */
export async function startSnapcast(): Promise<SnapcastPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-snapcast-'));
  writeFileSync(join(dir, 'snapserver.conf'), '');
  const [httpPort, tcpPort, streamPort] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const run = (core: number, cmd: string, args: string[]) => {
    const child = pinned ? spawn('taskset', ['-c', String(core), cmd, ...args], { stdio: 'ignore' }) : spawn(cmd, args, { stdio: 'ignore' });
    children.push(child);
  };
  run(CORES.server, 'snapserver', [
    '-c', join(dir, 'snapserver.conf'),
    `--server.datadir=${join(dir, 'data')}`,
    '--http.bind_to_address=127.0.0.1', `--http.port=${httpPort}`,
    '--tcp.bind_to_address=127.0.0.1', `--tcp.port=${tcpPort}`,
    '--stream.bind_to_address=127.0.0.1', `--stream.port=${streamPort}`,
    `--stream.source=pipe://${join(dir, 'fifo')}?name=default`,
    '--logging.sink=null',
  ]);
  const stop = async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(async () => (await rpc(httpPort, 'Server.GetStatus')) !== null, 10_000, 'snapserver to listen');
    for (const id of ['bench-a', 'bench-b']) {
      run(CORES.load, 'snapclient', ['-h', '127.0.0.1', '-p', String(streamPort), '--player', 'file:filename=null', '--hostID', id, '--logsink=null']);
    }
    await until(async () => connectedClients(await rpc(httpPort, 'Server.GetStatus')) >= 2, 10_000, 'two snapclients');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `ws://127.0.0.1:${httpPort}/jsonrpc`, clientId: 'bench-a', serverPid: children[0]!.pid!, stop };
}

async function rpc(port: number, method: string): Promise<unknown> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/jsonrpc`, {
      method: 'POST',
      body: JSON.stringify({ id: 1, jsonrpc: '2.0', method }),
    });
    return ((await res.json()) as { result?: unknown }).result ?? null;
  } catch {
    return null;
  }
}

function connectedClients(status: unknown): number {
  const groups = (status as { server?: { groups?: Array<{ clients: Array<{ connected: boolean }> }> } } | null)?.server?.groups ?? [];
  return groups.flatMap((g) => g.clients).filter((c) => c.connected).length;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

import { fork } from 'node:child_process';
import { runShard, type ShardMessage, type ShardOptions } from './fleet-shard.ts';

/** What the coordinator holds of one shard of the fleet, in this process or a worker. */
export interface Shard {
  on(fn: (m: ShardMessage) => void): void;
  /** Resolves when the shard reports the phase (or is done); rejects with the reason it failed. */
  until(phase: 'connected' | 'transfers-done' | 'done'): Promise<ShardMessage>;
  send(step: 'transfers' | 'close'): void;
}

/** A shard whose messages arrive on `deliver`, waiting until a phase (or done) is reported. */
export function shardHandle(send: (step: 'transfers' | 'close') => void): Shard & { deliver(m: ShardMessage): void; fail(err: Error): void } {
  const listeners: Array<(m: ShardMessage) => void> = [];
  const seen = new Map<string, ShardMessage>();
  const waiters = new Map<string, Array<{ resolve: (m: ShardMessage) => void; reject: (e: Error) => void }>>();
  let failed: Error | null = null;
  const key = (m: ShardMessage) => (m.type === 'phase' ? m.phase : m.type);
  const fail = (err: Error) => {
    if (failed || seen.has('done')) return;
    failed = err;
    for (const list of waiters.values()) for (const w of list) w.reject(err);
    waiters.clear();
  };
  return {
    on: (fn) => listeners.push(fn),
    until: (phase) => {
      const done = seen.get(phase);
      if (done) return Promise.resolve(done);
      if (failed) return Promise.reject(failed);
      return new Promise((resolve, reject) => waiters.set(phase, [...(waiters.get(phase) ?? []), { resolve, reject }]));
    },
    send,
    deliver(m) {
      if (m.type === 'failed') return fail(new Error(m.message));
      for (const l of listeners) l(m);
      if (m.type === 'progress') return;
      seen.set(key(m), m);
      for (const w of waiters.get(key(m)) ?? []) w.resolve(m);
      waiters.delete(key(m));
    },
    fail,
  };
}

/** The fleet's only shard, run in this process. */
export function inProcess(opts: ShardOptions): Shard {
  const gates = new Map<string, () => void>();
  const opened = new Set<string>();
  const handle = shardHandle((step) => {
    opened.add(step);
    gates.get(step)?.();
  });
  runShard(opts, {
    emit: (m) => handle.deliver(m),
    wait: (step) => (opened.has(step) ? Promise.resolve() : new Promise((r) => gates.set(step, r))),
  }).catch((err: unknown) => handle.fail(err instanceof Error ? err : new Error(String(err))));
  return handle;
}

/**
 * Worker i of n: its own process and its own loopback source address. Its stderr passes through
 * and its tail is kept, so a worker that dies says why. A worker that exits is only counted as
 * failed once its IPC channel has closed too: messages sent before the exit (the result is
 * large) may still be arriving when `exit` fires.
 */
export function spawnWorker(script: string, argv: string[], i: number, n: number): Shard {
  const address = `127.0.0.${2 + i}`;
  const child = fork(script, ['fleet', ...argv, '--shard', String(i), '--shards', String(n), '--local-address', address], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    process.stderr.write(d);
    tail = (tail + d.toString()).slice(-2000);
  });
  const handle = shardHandle((step) => {
    if (child.connected) child.send(step);
  });
  child.on('message', (m) => handle.deliver(m as ShardMessage));
  child.on('error', (err) => handle.fail(new Error(`fleet worker ${i} (${address}): ${err.message}`)));
  let exit: string | null = null;
  const settle = () => {
    if (exit === null || child.connected) return;
    const why = tail.trim().split('\n').slice(-3).join(' / ');
    handle.fail(new Error(`fleet worker ${i} (${address}) ${exit} before it was done${why ? `: ${why}` : ''}`));
  };
  child.on('exit', (code, signal) => {
    exit = signal ? `was killed by ${signal}` : `exited with ${code}`;
    settle();
  });
  child.on('disconnect', settle);
  return handle;
}

/** Run as one worker of a fleet: the coordinator steps it over IPC and gets its messages back. */
export async function runWorker(opts: ShardOptions): Promise<void> {
  // The coordinator is gone: so is this worker.
  process.once('disconnect', () => process.exit(1));
  const opened = new Set<string>();
  const gates = new Map<string, () => void>();
  process.on('message', (step: string) => {
    opened.add(step);
    gates.get(step)?.();
  });
  // Resolves once the message is written to the channel: the last one (the result, large) must be
  // out before the channel closes, or it is dropped with it.
  const post = (m: ShardMessage) => new Promise<void>((resolve) => (process.send ? process.send(m, undefined, {}, () => resolve()) : resolve()));
  let last: Promise<void> = Promise.resolve();
  try {
    await runShard(opts, {
      emit: (m) => void (last = post(m)),
      wait: (step) => (opened.has(step) ? Promise.resolve() : new Promise((r) => gates.set(step, r))),
    });
  } catch (err) {
    last = post({ type: 'failed', message: `worker ${opts.shard}: ${err instanceof Error ? err.message : String(err)}` });
    process.exitCode = 1;
  }
  await last;
  process.removeAllListeners('disconnect');
  process.disconnect?.();
}

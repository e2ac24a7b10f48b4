import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseConfig, silentLog, startHub } from '@handoff/server';

/**
 * One hub as its own process for the benchmark: config from the environment (HUB_SECRET set by
 * the runner, so load processes mint tokens without HTTP), loopback, a free port. Prints its port
 * once listening; SIGTERM exits cleanly (so --cpu-prof writes its profile).
 */
const running = await startHub(parseConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'error', ...process.env }), { log: silentLog });
process.stdout.write(`${JSON.stringify({ ready: true, port: running.port, pid: process.pid })}\n`);
process.once('SIGTERM', () => {
  void running.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
});

// On `lag` (a line on stdin): how late the event loop ran since the last ask, as one JSON line.
const lag = monitorEventLoopDelay({ resolution: 1 });
lag.enable();
// On `watch <user>`: from then on, the server time at which each of that user's device commands
// was handled (its `message.in`) and its result written (`message.out` of `command.result`), by
// commandId, from the trace, in this process (a listener is one call per event). On `stamps`:
// every pair since, as one JSON line `{ stamps: { id: [in, out] } }`.
const stamps = new Map<string, [number, number]>();
const watch = (userId: string) =>
  running.hub.trace.subscribe(userId, (_seq, _text, e) => {
    if (e.correlationId === undefined) return;
    if (e.kind === 'message.in' && e.type.startsWith('command.')) stamps.set(e.correlationId, [e.ts, NaN]);
    else if (e.kind === 'message.out' && e.type === 'command.result') {
      const s = stamps.get(e.correlationId);
      if (s && Number.isNaN(s[1])) s[1] = e.ts;
    }
  });
// On `heap`: the live heap after a full collection (what the hub holds, without V8's slack), as one JSON line.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(' ');
  if (cmd === 'watch' && arg) watch(arg);
  if (cmd === 'stamps') {
    process.stdout.write(`${JSON.stringify({ stamps: Object.fromEntries(stamps) })}\n`);
    stamps.clear();
  }
  // On `snapshot <file>`: a heap snapshot written there (for a heap profiler: what the hub holds, by constructor).
  if (cmd === 'snapshot' && arg) process.stdout.write(`${JSON.stringify({ snapshot: writeHeapSnapshot(arg) })}\n`);
  if (cmd === 'heap') {
    gc();
    process.stdout.write(`${JSON.stringify({ heapUsed: process.memoryUsage().heapUsed })}\n`);
  }
  if (cmd !== 'lag') return;
  process.stdout.write(`${JSON.stringify({ lagP99Ms: lag.percentile(99) / 1e6, lagMaxMs: lag.max / 1e6 })}\n`);
  lag.reset();
});
// The runner is gone (its end of stdin closed): so is this process.
process.stdin.on('end', () => process.exit(0));

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

// The runner is gone (its end of stdin closed): so is this process.
process.stdin.on('end', () => process.exit(0)).resume();

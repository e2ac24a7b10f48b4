import { startDemo } from '@handoff/device-sim';
import { configOrExit, signToken, startOrExit } from '@handoff/server';
import { ensureViewerBuilt } from '../viewer/build-if-stale.ts';

/**
 * `npm start`: the hub (config from the environment, in-memory by default) plus a small demo
 * fleet for user `demo` that passes playback around, so the viewer shows live traffic at once.
 * `npm start -- --no-demo` runs the hub alone.
 */
const config = configOrExit();
// The viewer is built on install; rebuild it here only when its sources changed since.
await ensureViewerBuilt().catch((err: unknown) => process.stderr.write(`viewer not built (${(err as Error).message}); the hub runs without it\n`));
const running = await startOrExit(config);
const withDemo = !process.argv.includes('--no-demo');
const demo = withDemo
  ? await startDemo({
      hub: running.wsUrl,
      token: await signToken(running.secret, { userId: 'demo', role: 'device' }, 7 * 24 * 3600),
    })
  : null;
process.stdout.write(
  `\nhub:    ${running.url}  (devices connect to ${running.wsUrl})\n` +
    (demo ? `demo:   4 devices of user "demo" passing playback around\n` : '') +
    `viewer: ${running.url}/${running.devMode && demo ? '?user=demo' : ''}\n\n`,
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await demo?.stop();
    await running.close();
    process.exit(0);
  })();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

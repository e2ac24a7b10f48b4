import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startDemo } from '@handoff/device-sim';
import { parseConfig, signToken, startHub } from '@handoff/server';
import { viewerFiles } from '../../server/src/http/viewer-files.ts';
import { ensureViewerBuilt } from '../../viewer/build-if-stale.ts';

/**
 * What the browser tests drive: a dev-mode hub on PORT with the built viewer at /, a demo
 * household for user `demo` passing playback around, and a quiet household for `bob` (for the
 * controller test, and to check that a viewer of one user cannot see another). On STATIC_PORT,
 * the same viewer files with no hub behind them, to open an imported file without a hub.
 */
await ensureViewerBuilt();
// A small trace ring, so the demo household's oldest events are evicted while the suite runs (deep links, baselines).
const config = parseConfig({
  PORT: process.env.PORT ?? '8099',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  HEARTBEAT_MS: '1000',
  TRACE_MAX_EVENTS_PER_USER: process.env.TRACE_MAX_EVENTS_PER_USER ?? '5000',
});
const hub = await startHub(config);
const token = (user: string): Promise<string> => signToken(hub.secret, { userId: user, role: 'device' }, 24 * 3600);
const demo = await startDemo({ hub: hub.wsUrl, token: await token('demo'), everyMs: Number(process.env.DEMO_EVERY_MS ?? 2500) });
const bob = await startDemo({ hub: hub.wsUrl, user: 'bob', token: await token('bob'), everyMs: 3_600_000 });
const files = viewerFiles(fileURLToPath(new URL('../../viewer/dist', import.meta.url)));
const statics = createServer((req, res) => void files({ req, res, url: new URL(req.url ?? '/', 'http://static'), params: {} }));
await new Promise<void>((resolve) => statics.listen(Number(process.env.STATIC_PORT ?? 8098), '127.0.0.1', resolve));
process.stdout.write(`test hub on ${hub.url}, viewer files alone on port ${process.env.STATIC_PORT ?? 8098}\n`);
const stop = () => {
  void (async () => {
    await Promise.all([demo.stop(), bob.stop()]);
    await hub.close();
    statics.close();
    process.exit(0);
  })();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

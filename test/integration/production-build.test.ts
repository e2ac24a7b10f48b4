import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { SimDevice } from '@handoff/device-sim';
import { signToken } from '@handoff/server';
import { buildPrograms } from '../../scripts/build-server.ts';
import { startMain } from '../helpers/main-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'production-build-secret-0123456789';
// Inside the repository, so the compiled hub finds its npm dependencies in node_modules as it would in a deployment.
const out = mkdtempSync(join(ROOT, 'node_modules', '.prod-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the production build', () => {
  test('the compiled hub runs on plain node with NODE_ENV=production and plays a transfer', async () => {
    const files = await buildPrograms(out);
    const main = files.find((f) => f.endsWith(join('server', 'dist', 'main.js')))!;
    // Plain JavaScript: no TypeScript source is imported at run time (node 20 could not load it anyway).
    expect(readFileSync(main, 'utf8')).not.toMatch(/from ["'][^"']+\.ts["']/);
    await using hub = await startMain({ NODE_ENV: 'production', HUB_SECRET: SECRET }, 20_000, [main]);
    expect(hub.child.spawnargs).toEqual([process.execPath, main]);
    const wsUrl = `${hub.url.replace('http', 'ws')}/v1/connect`;
    const token = await signToken(SECRET, { userId: 'prod', role: 'device' }, 60);
    const [phone, speaker] = [
      new SimDevice({ hub: wsUrl, user: 'prod', kind: 'phone', token }),
      new SimDevice({ hub: wsUrl, user: 'prod', kind: 'speaker', token }),
    ];
    try {
      await Promise.all([phone.connect(), speaker.connect()]);
      expect(
        await phone.command({ type: 'command.play', deviceId: phone.id, contextUri: 'demo:album:night-drive' }),
      ).toMatchObject({ ok: true });
      expect(await phone.command({ type: 'command.transfer', deviceId: speaker.id })).toMatchObject({ ok: true });
      await speaker.waitFor(() => speaker.player.playing, 5000, 'speaker playing');
      expect(phone.player.playing).toBe(false);
    } finally {
      await Promise.all([phone.close(), speaker.close()]);
    }
    const health = await fetch(`${hub.url}/healthz`);
    expect(health.status).toBe(200);
  });
});

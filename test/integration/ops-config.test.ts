import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { runMain } from '../helpers/main-process.ts';

const CONFIG_DOC = readFileSync(new URL('../../docs/CONFIG.md', import.meta.url), 'utf8');

describe('a bad setting stops the hub', () => {
  test('with the message docs/CONFIG.md shows, naming each bad setting and what it takes, and exit code 2', async () => {
    const run = runMain({ PORT: '99999', LOG_LEVEL: 'loud', HUB_SECRET: 'short-secret' });
    expect(await run.exited).toBe(2);
    const stderr = run.stderr();
    expect(stderr).toEqual([
      'invalid configuration:',
      '  PORT="99999" is not valid: PORT takes an integer from 0 to 65535 (default 8080)',
      '  HUB_SECRET=(hidden) is not valid: HUB_SECRET takes text of at least 16 characters',
      '  LOG_LEVEL="loud" is not valid: LOG_LEVEL takes one of debug, info, warn, error (default info)',
      'Every setting, its default and meaning: docs/CONFIG.md',
    ]);
    // The documented example is what an operator really sees.
    for (const line of stderr) expect(CONFIG_DOC).toContain(line);
    expect(stderr.join('\n')).not.toContain('short-secret');
  });

  test('a hub that cannot listen says why in one line and exits 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const run = runMain({ PORT: String(port), HOST: '127.0.0.1', HUB_SECRET: 'a-long-enough-secret-123' });
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toEqual([`hub could not start: listen EADDRINUSE: address already in use 127.0.0.1:${port}`]);
    } finally {
      taken.close();
    }
  });
});

import { describe, expect, test } from 'vitest';
import { signToken } from './auth/token.ts';
import { createLog } from './log.ts';

const SECRET = 'hub-secret-0123456789-abcdef';

function capture(opts: Parameters<typeof createLog>[0] = {}) {
  const lines: string[] = [];
  const log = createLog({ base: { node: 'node-a' }, secrets: [SECRET], ...opts, write: (line) => lines.push(line) });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('log', () => {
  test('every line is one JSON object with level, ISO time, the node id, the fields and msg; a child adds its fields', () => {
    const { log, lines, records } = capture();
    log.child({ correlationId: 'tr-1' }).warn({ code: 'TRANSFER_TIMEOUT' }, 'transfer rolled back');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(records()[0]).toEqual({
      level: 'warn',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      node: 'node-a',
      correlationId: 'tr-1',
      code: 'TRANSFER_TIMEOUT',
      msg: 'transfer rolled back',
    });
  });

  test('lines below the level are not written', () => {
    const { log, records } = capture({ level: 'warn' });
    log.debug({}, 'd');
    log.info({}, 'i');
    log.error({}, 'e');
    expect(records().map((r) => r.msg)).toEqual(['e']);
  });

  test('errors are logged with their message and stack under err', () => {
    const { log, records } = capture();
    log.error({ err: new Error('disk on fire') }, 'could not persist session');
    expect(records()[0]!.err).toMatchObject({ type: 'Error', message: 'disk on fire', stack: expect.stringContaining('log.test.ts') });
  });

  test('no token or secret reaches a line, wherever a caller put it', async () => {
    const { log, lines } = capture({ level: 'debug' });
    const token = await signToken(SECRET, { userId: 'alice', role: 'admin' }, 60);
    log.info({ headers: { authorization: `Bearer ${token}` } }, 'request');
    log.info({ url: `/v1/trace?user=alice&access_token=${token}` }, 'upgrade');
    log.info({ body: { access_token: 'opaque-not-a-jwt-123', token_type: 'Bearer' } }, 'minted');
    log.info({ deep: { deeper: [{ hubSecret: 'whatever-it-is' }, { password: 'hunter2hunter2' }] } }, 'nested');
    log.info({ config: { HUB_SECRET: SECRET, REDIS_URL: 'redis://user:s3cret-pass@redis:6379/0' } }, 'config');
    log.error({ err: new Error(`verify failed for ${token} with ${SECRET}`) }, `also in the message: ${SECRET}`);
    log.child({ authorization: token }).debug({}, 'child fields too');
    const all = lines.join('');
    for (const leak of [token, SECRET, 'opaque-not-a-jwt-123', 'whatever-it-is', 'hunter2hunter2', 's3cret-pass', token.split('.')[2]!]) {
      expect(all).not.toContain(leak);
    }
    expect(all).toContain('[redacted]');
    // Still valid JSON, and what is not secret is kept.
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records[1]!.url).toBe('/v1/trace?user=alice&access_token=[redacted]');
    expect(records[4]!.config).toMatchObject({ REDIS_URL: 'redis://user:[redacted]@redis:6379/0' });
  });

  test('pretty lines are readable, carry the fields, and are redacted too', () => {
    const { log, lines } = capture({ format: 'pretty' });
    log.info({ correlationId: 'tr-9', secret: SECRET }, 'transfer committed');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}transfer committed {2}node=node-a correlationId=tr-9 secret=\[redacted\]\n$/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ConfigSchema, parseConfig } from './config.ts';

const message = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('configuration', () => {
  test('defaults apply when nothing is set, and an empty value counts as unset', () => {
    const config = parseConfig({ PORT: '', LOG_LEVEL: '' });
    expect(config).toMatchObject({ PORT: 8080, LOG_LEVEL: 'info', LOG_FORMAT: 'auto', HEARTBEAT_MS: 5000 });
  });

  test('a bad value is named with the value given, what the setting takes and its default', () => {
    expect(message({ PORT: 'eighty' })).toContain('PORT="eighty" is not valid: PORT takes an integer from 0 to 65535 (default 8080)');
    expect(message({ HEARTBEAT_MS: '5' })).toContain('HEARTBEAT_MS="5" is not valid: HEARTBEAT_MS takes an integer from 100 to 600000 (default 5000)');
    expect(message({ LOG_LEVEL: 'loud' })).toContain('LOG_LEVEL="loud" is not valid: LOG_LEVEL takes one of debug, info, warn, error (default info)');
    expect(message({ TRUSTED_PROXIES: '10.0.0.0/8,example.com' })).toContain(
      'TRUSTED_PROXIES takes comma-separated IP addresses or CIDR ranges, e.g. 10.0.0.0/8,::1 (default empty)',
    );
    expect(message({ REDIS_URL: 'localhost' })).toContain('REDIS_URL="localhost" is not valid: REDIS_URL takes a url such as redis://host:6379');
  });

  test("PUBLIC_URL takes a device URL (ws, wss, http or https with a host) and refuses anything else with a message saying so", () => {
    expect(parseConfig({ PUBLIC_URL: 'wss://hub-3.example.com/v1/connect' }).PUBLIC_URL).toBe('wss://hub-3.example.com/v1/connect');
    expect(parseConfig({ PUBLIC_URL: 'http://10.0.0.3:8080/v1/connect' }).PUBLIC_URL).toBe('http://10.0.0.3:8080/v1/connect');
    for (const bad of ['hub-3.example.com', 'redis://hub-3:6379', 'ftp://hub-3/v1/connect', 'wss://']) {
      expect(message({ PUBLIC_URL: bad })).toContain(`PUBLIC_URL=${JSON.stringify(bad)} is not valid: PUBLIC_URL takes this node's device URL as devices reach it, a ws://, wss://, http:// or https:// URL with a host`);
    }
  });

  test('every bad setting is reported at once, and the message points to docs/CONFIG.md', () => {
    const text = message({ PORT: '-1', GRACE_MS: 'soon' });
    expect(text.split('\n')[0]).toBe('invalid configuration:');
    expect(text).toMatch(/PORT=.*\n.*GRACE_MS=/);
    expect(text).toContain('docs/CONFIG.md');
  });

  test('REDIS_CLUSTER_NODES takes seed nodes as host:port, and is refused together with REDIS_URL', () => {
    expect(parseConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002' }).REDIS_CLUSTER_NODES).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(message({ REDIS_CLUSTER_NODES: 'redis-a' })).toContain('REDIS_CLUSTER_NODES takes seed nodes as host:port,host:port,...');
    expect(message({ REDIS_CLUSTER_NODES: 'redis-a:99999' })).toContain('REDIS_CLUSTER_NODES="redis-a:99999" is not valid');
    expect(message({ REDIS_CLUSTER_NODES: 'redis-a:7000', REDIS_URL: 'redis://redis-a:6379' })).toContain(
      'REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_URL for one Redis, or REDIS_CLUSTER_NODES for a Redis Cluster, not both',
    );
  });

  test('REDIS_MIN_REPLICAS is unset by default (decided at start from the replicas Redis has) and takes 0 to 16', () => {
    expect(parseConfig({}).REDIS_MIN_REPLICAS).toBeUndefined();
    expect(parseConfig({ REDIS_MIN_REPLICAS: '2' }).REDIS_MIN_REPLICAS).toBe(2);
    expect(message({ REDIS_MIN_REPLICAS: '-1' })).toContain('REDIS_MIN_REPLICAS="-1" is not valid: REDIS_MIN_REPLICAS takes an integer from 0 to 16');
  });

  test('TRACE_SAMPLE_RATE is a share from 0 (the default) to 1, and TRACE_TAIL_MS must outlast the lease TTL', () => {
    expect(parseConfig({})).toMatchObject({ TRACE_SAMPLE_RATE: 0, TRACE_TAIL_MS: 30_000 });
    expect(parseConfig({ TRACE_SAMPLE_RATE: '0.25' }).TRACE_SAMPLE_RATE).toBe(0.25);
    expect(message({ TRACE_SAMPLE_RATE: '1.5' })).toContain('TRACE_SAMPLE_RATE="1.5" is not valid');
    expect(message({ TRACE_SAMPLE_RATE: 'some' })).toContain('TRACE_SAMPLE_RATE="some" is not valid');
    expect(message({ TRACE_TAIL_MS: '4000', LEASE_TTL_MS: '5000' })).toContain('TRACE_TAIL_MS=4000 must be longer than LEASE_TTL_MS=5000');
  });

  test('a secret is never echoed back', () => {
    const text = message({ HUB_SECRET: 'tooshort-secret' });
    expect(text).toContain('HUB_SECRET=(hidden) is not valid: HUB_SECRET takes text of at least 16 characters');
    expect(text).not.toContain('tooshort-secret');
  });

  test('identity provider settings that need each other are refused apart, saying what is missing', () => {
    expect(message({ AUTH_ISSUER: 'https://login.example.com' })).toContain('AUTH_AUDIENCE is required with AUTH_ISSUER');
    expect(message({ AUTH_VIEWER_CLIENT_ID: 'handoff-viewer' })).toContain('AUTH_ISSUER is required with AUTH_AUDIENCE or AUTH_VIEWER_CLIENT_ID');
    expect(parseConfig({ AUTH_ISSUER: 'https://login.example.com', AUTH_AUDIENCE: 'urn:handoff:hub' })).toMatchObject({ AUTH_ROLE_CLAIM: 'handoff_role', AUTH_USER_CLAIM: 'sub', AUTH_DEFAULT_ROLE: 'viewer' });
  });

  test('docs/CONFIG.md lists every setting', () => {
    const doc = readFileSync(new URL('../../docs/CONFIG.md', import.meta.url), 'utf8');
    const missing = Object.keys(ConfigSchema.shape).filter((name) => !doc.includes(`| \`${name}\``));
    expect(missing, 'settings missing from docs/CONFIG.md').toEqual([]);
  });
});

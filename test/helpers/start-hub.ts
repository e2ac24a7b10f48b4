import { parseConfig, silentLog, startHub, type RunningHub } from '@handoff/server';

/** A real hub on a free loopback port, silent, with test-friendly timings; dispose to stop it. */
export function startTestHub(env: Record<string, string> = {}): Promise<RunningHub> {
  return startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1', HEARTBEAT_MS: '1000', ...env }), { log: silentLog });
}

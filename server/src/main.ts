import { parseConfig, type Config } from './config.ts';
import { configSecrets, lineScrubber } from './log-redact.ts';
import { startHub, type RunningHub } from './start-hub.ts';

/** The config from the environment; a bad setting: a message naming it and what it takes, exit code 2. */
export function configOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return parseConfig(env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}

/** Start the hub; a failure to start (port taken, Redis refused) is one line and exit code 1, not a stack. */
export async function startOrExit(config: Config): Promise<RunningHub> {
  try {
    return await startHub(config);
  } catch (err) {
    process.stderr.write(`hub could not start: ${lineScrubber(configSecrets(config))((err as Error).message)}\n`);
    process.exit(1);
  }
}

/**
 * The hub as a process: config from the environment, exit codes as above, graceful stop on
 * SIGINT/SIGTERM (draining first, so /readyz turns 503).
 */
export async function main(): Promise<void> {
  const running = await startOrExit(configOrExit());
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

import { parseConfig } from './config.ts';
import { configSecrets, lineScrubber } from './log-redact.ts';
import { startHub } from './start-hub.ts';

/**
 * The hub as a process: config from the environment (a bad setting: a message naming it and
 * what it takes, exit code 2; a failure to start: exit code 1), graceful stop on SIGINT/SIGTERM
 * (draining first, so /readyz turns 503).
 */
export async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  let running;
  try {
    running = await startHub(config);
  } catch (err) {
    // Port taken, address not available, Redis refused: say so in one line, not a stack.
    process.stderr.write(`hub could not start: ${lineScrubber(configSecrets(config))((err as Error).message)}\n`);
    process.exit(1);
  }
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

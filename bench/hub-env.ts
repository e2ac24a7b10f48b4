import { randomBytes } from 'node:crypto';

/** The token secret of every hub a benchmark run starts (and of the tokens its loads sign). */
export const SECRET = randomBytes(24).toString('hex');

/**
 * Every hub the benchmark starts: its limits raised far past what load generators send (a
 * household's defaults would refuse a benchmark's frames), everything else as configured.
 */
export const HUB_ENV: Record<string, string> = {
  DEVICE_FRAME_RATE: '1000000',
  DEVICE_FRAME_BURST: '1000000',
  USER_COMMAND_RATE: '1000000',
  USER_COMMAND_BURST: '1000000',
  MAX_CONNECTIONS_PER_ADDRESS: '10000000',
  UPGRADE_RATE_PER_ADDRESS: '1000000',
  UPGRADE_BURST_PER_ADDRESS: '1000000',
  UPGRADE_RATE_PER_USER: '1000000',
  UPGRADE_BURST_PER_USER: '1000000',
};

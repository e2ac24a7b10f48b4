import type { ErrorCode } from '@handoff/protocol';

/**
 * The HTTP status of each hub error code. The reference's own codes where it has them (400, 401,
 * 403, 404, 429); for the transfer outcomes it cannot report (it answers 204 once a command is
 * merely sent), the status that says what happened:
 * - TRANSFER_FAILED 502: the target device (our upstream) answered that it cannot play.
 * - TRANSFER_TIMEOUT 504: the target did not get ready, or confirm the switch, in time.
 * - COMMAND_TIMEOUT 504: the session gave no outcome in time (busy, or its node unreachable); it may still take effect.
 * - UNAVAILABLE 503: the session could not be reached at all (its node gone, Redis stalled); nothing was done.
 * - SUPERSEDED 409: a newer transfer or command won the race; this one did not happen.
 * - DEVICE_OFFLINE 404: the reference drops idle devices from its list and answers 404 for them.
 */
export const STATUS_OF = {
  BAD_REQUEST: 400,
  BAD_JSON: 400,
  UNKNOWN_TYPE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RESTRICTED: 403,
  TOO_MANY_DEVICES: 403,
  DEVICE_NOT_FOUND: 404,
  DEVICE_OFFLINE: 404,
  NO_ACTIVE_DEVICE: 404,
  SUPERSEDED: 409,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  TRANSFER_FAILED: 502,
  NOT_READY: 503,
  UNAVAILABLE: 503,
  TRANSFER_TIMEOUT: 504,
  COMMAND_TIMEOUT: 504,
} as const satisfies Record<ErrorCode, number>;

export const statusOf = (code: ErrorCode): number => STATUS_OF[code];

/**
 * The reference's `reason` for a failed player command (its PlayerErrorReasons), so clients that
 * switch on it keep working. Refusals it has no word for are `UNKNOWN`, as the reference does.
 */
export function reasonOf(code: ErrorCode, commandType?: string): string {
  switch (code) {
    case 'NO_ACTIVE_DEVICE':
      return 'NO_ACTIVE_DEVICE';
    case 'RATE_LIMITED':
      return 'RATE_LIMITED';
    case 'RESTRICTED':
      return commandType === 'command.volume' ? 'VOLUME_CONTROL_DISALLOW' : 'UNKNOWN';
    default:
      return 'UNKNOWN';
  }
}

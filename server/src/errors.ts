import { ErrorCode } from '@handoff/protocol';

/** The one error type of the hub: a code from the protocol, a message for humans, and a cause. */
export class HubError extends Error {
  readonly code: ErrorCode;
  constructor(opts: { code: ErrorCode; message: string; cause?: unknown }) {
    super(opts.message, { cause: opts.cause });
    this.name = 'HubError';
    this.code = opts.code;
  }
}

/** Anything thrown, as a HubError; unknown failures become INTERNAL without leaking details. */
export function toHubError(err: unknown): HubError {
  if (err instanceof HubError) return err;
  return new HubError({ code: ErrorCode.INTERNAL, message: 'internal error', cause: err });
}

/** What a command with no outcome in time is told (COMMAND_TIMEOUT): it may have taken effect, and how to find out. */
export const mayHaveCommitted = (ms: number) => `no outcome within ${ms} ms; it may still take effect: send it again with the same commandId for its outcome`;

/** What an HTTP command waiting on a session that stopped on its node (another node owns it now) is told (COMMAND_TIMEOUT). */
export const SESSION_MOVED = 'the session moved to another node before this command had an outcome; it may still take effect: send it again with the same commandId for its outcome';

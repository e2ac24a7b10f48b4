/** Error codes carried by `error` and failed `command.result` messages. */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  BAD_JSON: 'BAD_JSON',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  NOT_READY: 'NOT_READY',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  DEVICE_NOT_FOUND: 'DEVICE_NOT_FOUND',
  DEVICE_OFFLINE: 'DEVICE_OFFLINE',
  NO_ACTIVE_DEVICE: 'NO_ACTIVE_DEVICE',
  RESTRICTED: 'RESTRICTED',
  TRANSFER_FAILED: 'TRANSFER_FAILED',
  TRANSFER_TIMEOUT: 'TRANSFER_TIMEOUT',
  SUPERSEDED: 'SUPERSEDED',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_DEVICES: 'TOO_MANY_DEVICES',
  /** No outcome within the hub's command timeout; the command may still take effect (retry with the same id). */
  COMMAND_TIMEOUT: 'COMMAND_TIMEOUT',
  /** The user's session could not be reached in time (its node gone, Redis not answering); nothing was done: try again. */
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes the hub uses (4000-4099 are application codes). */
export const CloseCode = {
  /** Normal shutdown or drain: reconnect, to this hub or another. */
  GOING_AWAY: 1001,
  /** A frame larger than the hub's maxPayload. */
  MESSAGE_TOO_BIG: 1009,
  /** Missing, malformed, expired or wrongly signed token. */
  UNAUTHORIZED: 4001,
  /** The token's role may not open this socket. */
  FORBIDDEN: 4003,
  /**
   * The socket kept breaking the protocol: too many invalid frames (bad JSON, unknown types,
   * failed validation, binary, oversized, out of order) within a window. The hub's default; an
   * operator may configure another (`INVALID_FRAME_CLOSE_CODE`).
   */
  INVALID_FRAMES: 4008,
  /** The device's protocol version is older than the hub supports. */
  CLIENT_TOO_OLD: 4010,
  /** The device's protocol version is newer than the hub supports. */
  SERVER_TOO_OLD: 4011,
  /** No `device.hello` within the hello timeout. */
  HELLO_TIMEOUT: 4012,
  /** Another connection registered the same device id; this one is replaced. */
  REPLACED: 4013,
  /** The peer stopped answering heartbeats. */
  HEARTBEAT_TIMEOUT: 4014,
  /** The peer sent too much, too fast, or cannot keep up with what it is sent. */
  RATE_LIMITED: 4029,
  /** The user already has the maximum number of devices. */
  TOO_MANY_DEVICES: 4030,
  /** An operator disconnected the device. */
  KICKED: 4040,
  /** Something unexpected inside the hub; safe to reconnect. */
  INTERNAL: 4500,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Close codes after which reconnecting would not help: the device stops. 4001 (UNAUTHORIZED) is
 * not among them: a device that can get a fresh token reconnects with it.
 */
export const FATAL_CLOSE_CODES: readonly CloseCode[] = [
  CloseCode.FORBIDDEN,
  CloseCode.CLIENT_TOO_OLD,
  CloseCode.SERVER_TOO_OLD,
  CloseCode.REPLACED,
  CloseCode.TOO_MANY_DEVICES,
  CloseCode.KICKED,
];

/** Whether a device should stop reconnecting after the hub closed its socket with `code`. */
export const isFatalClose = (code: number): boolean => (FATAL_CLOSE_CODES as readonly number[]).includes(code);

/**
 * Error codes that are final for the command they answer: sending the same command again (same
 * id or a new one) gets the same answer until something changes. The others may succeed on a retry:
 * `RATE_LIMITED` later, `COMMAND_TIMEOUT` and `INTERNAL` with the same id, `DEVICE_OFFLINE` once
 * the device is back, `TRANSFER_*` and `SUPERSEDED` with a new id.
 */
export const FINAL_ERROR_CODES: readonly ErrorCode[] = [
  ErrorCode.BAD_REQUEST,
  ErrorCode.BAD_JSON,
  ErrorCode.UNKNOWN_TYPE,
  ErrorCode.UNAUTHORIZED,
  ErrorCode.FORBIDDEN,
  ErrorCode.DEVICE_NOT_FOUND,
  ErrorCode.RESTRICTED,
];

import { pino, stdTimeFunctions, type Logger } from 'pino';
import { lineScrubber } from './log-redact.ts';
import { prettyLine } from './log-pretty.ts';

/** Structured log lines: an object of fields and a message. */
export interface Log {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
  child(fields: object): Log;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogOptions {
  level?: LogLevel;
  /** Fields on every line (the node id). */
  base?: object;
  /** `json`: one JSON object per line; `pretty`: readable lines for a terminal. @default 'json' */
  format?: 'json' | 'pretty';
  /** Values that must never appear in a line (HUB_SECRET, ...); tokens and secret-named keys are always redacted. */
  secrets?: readonly string[];
  /** Where lines go. @default stderr */
  write?: (line: string) => void;
}

/**
 * The hub's log: pino, JSON lines with `level`, ISO `time`, the base fields, the caller's fields
 * (errors under `err` with their stack) and `msg`. Every line is scrubbed of tokens and secrets
 * before it is written (see log-redact.ts).
 */
export function createLog(opts: LogOptions = {}): Log {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const pretty = opts.format === 'pretty';
  const color = pretty && opts.write === undefined && process.stderr.isTTY;
  const logger = pino(
    {
      level: opts.level ?? 'info',
      base: { ...opts.base },
      messageKey: 'msg',
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: lineScrubber(opts.secrets) },
    },
    { write: pretty ? (line: string) => write(prettyLine(line, color)) : write },
  );
  return wrap(logger);
}

function wrap(logger: Logger): Log {
  return {
    debug: (fields, msg) => logger.debug(fields, msg),
    info: (fields, msg) => logger.info(fields, msg),
    warn: (fields, msg) => logger.warn(fields, msg),
    error: (fields, msg) => logger.error(fields, msg),
    child: (fields) => wrap(logger.child(fields)),
  };
}

export const silentLog: Log = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLog,
};

/** Structured log lines: an object of fields and a message. */
export interface Log {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
  child(fields: object): Log;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON lines on stderr, one per event, at or above `level`. */
export function jsonLog(level: Level = 'info', base: object = {}, write = (line: string) => process.stderr.write(line + '\n')): Log {
  const at = (l: Level) => (fields: object, msg: string) => {
    if (ORDER[l] < ORDER[level]) return;
    write(JSON.stringify({ level: l, time: new Date().toISOString(), ...base, ...fields, msg }, errorReplacer));
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => jsonLog(level, { ...base, ...fields }, write),
  };
}

function errorReplacer(_key: string, value: unknown) {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}

export const silentLog: Log = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLog,
};

/**
 * Log lines for a person at a terminal: `12:04:05.123 INFO  hub listening  port=8080 node=a`.
 * Our own few lines rather than pino-pretty, whose dependencies need a newer Node than 20.
 */
const COLORS: Record<string, string> = { debug: '\x1b[90m', info: '\x1b[32m', warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[35m' };
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

/** One JSON log line (as pino writes it) as a readable line; anything that is not JSON passes as it is. */
export function prettyLine(json: string, color: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, msg, err, ...fields } = record;
  const label = typeof level === 'string' ? level : 'info';
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const head = color ? `${DIM}${clock}${RESET} ${COLORS[label] ?? ''}${label.toUpperCase().padEnd(5)}${RESET}` : `${clock} ${label.toUpperCase().padEnd(5)}`;
  const rest = Object.entries(fields)
    .map(([k, v]) => `${color ? DIM : ''}${k}=${color ? RESET : ''}${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  let line = `${head} ${typeof msg === 'string' ? msg : ''}${rest ? '  ' + rest : ''}\n`;
  if (err && typeof err === 'object') {
    const { stack, message } = err as { stack?: unknown; message?: unknown };
    const text = typeof stack === 'string' ? stack : typeof message === 'string' ? message : JSON.stringify(err);
    line += `  ${text.replace(/\n/g, '\n  ')}\n`;
  }
  return line;
}

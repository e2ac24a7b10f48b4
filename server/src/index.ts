export { startHub, type RunningHub } from './start-hub.ts';
export { parseConfig, type Config } from './config.ts';
export { configOrExit, startOrExit } from './main.ts';
export { signToken, type Principal, type Role } from './auth/token.ts';
export type { Authenticator } from './auth/authenticator.ts';
export { Hub } from './hub.ts';
export { systemClock, type Clock } from './clock.ts';
export { silentLog, createLog, type Log, type LogOptions } from './log.ts';
export { isSampled } from './cluster/trace-watches.ts';

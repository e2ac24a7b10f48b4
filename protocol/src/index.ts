export * from './version.ts';
export * from './errors.ts';
export * from './device.ts';
export * from './playback.ts';
export * from './commands.ts';
export * from './messages.ts';
export * from './trace.ts';
export * from './catalog.ts';

export { HandoffClient, type ClientOptions, type CommandInput } from './client.ts';
export type { PlayerPort } from './player.ts';
export type { SocketFactory, WebSocketLike } from './socket.ts';
export { runAt } from './schedule.ts';

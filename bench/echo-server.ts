import { floorServer } from './floor-server.ts';

/** The floor: a bare `ws` server that sends every text frame straight back. Prints its port. */
floorServer().on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});

import type { WebSocket } from 'ws';
import { floorCluster, floorServer, FloorHouseholds, TurnWriter, type FloorHousehold } from './floor-server.ts';

/**
 * The floor for a connect: a bare `ws` server (the hub's socket settings) that puts on the wire
 * what the hub does for a device on loopback and nothing else. Sockets with the same
 * `access_token` form a household. A `device.hello` gets a welcome holding the household's
 * state and the first clock ping in one write, and the household's other members a
 * `cluster.update`; the first pong gets a second ping 25 ms later; the second pong a
 * `clock.sync`. Every frame is parsed. No token check, no session, no trace, no estimate.
 * Prints its port (`bench/storm-probe.ts --floor` drives it).
 */
const households = new FloorHouseholds<unknown>();
const writer = new TurnWriter();
const send = (ws: WebSocket, text: string) => writer.send(ws, text);
const state = (h: FloorHousehold<unknown>) => floorCluster(h.revision, h.devices);
let pingIds = 0;
const ping = (ws: WebSocket) => send(ws, `{"type":"clock.ping","pingId":${++pingIds},"t0":${Date.now()}}`);

floorServer().on('connection', (ws, req) => {
  const household = households.of(req.url);
  writer.attach(ws, req.socket);
  let pongs = 0;
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as { type: string; device?: { id: string } };
    if (m.type === 'device.hello' && m.device) {
      household.revision++;
      household.devices.push({ ...m.device, online: true, volume: 50, lastSeenAt: Date.now() });
      const cluster = state(household);
      send(ws, JSON.stringify({ type: 'hub.welcome', protocolVersion: 1, deviceId: m.device.id, serverTime: Date.now(), heartbeatMs: 15_000, graceMs: 10_000, cluster }));
      ping(ws);
      const push = JSON.stringify({ type: 'cluster.update', reason: 'device.join', cluster });
      for (const s of household.sockets) send(s, push);
      household.sockets.push(ws);
      return;
    }
    if (m.type !== 'clock.pong') return;
    if (++pongs === 1) setTimeout(() => ping(ws), 25);
    else if (pongs === 2) send(ws, JSON.stringify({ type: 'clock.sync', offsetMs: 0.25, errorMs: 0.5, rttMs: 0.4 }));
  });
  ws.on('close', () => {
    const at = household.sockets.indexOf(ws);
    if (at >= 0) household.sockets.splice(at, 1);
  });
  ws.on('error', () => {});
});

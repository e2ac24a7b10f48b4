import type { WebSocket } from 'ws';
import { floorCluster, floorServer, FloorHouseholds, TurnWriter, type FloorHousehold } from './floor-server.ts';

/**
 * The floor for the hub's command shape: a bare `ws` server (the hub's socket settings) that does
 * what the hub does on the wire and nothing else. Sockets with the same `access_token` form a
 * household; a `device.hello` is answered with a welcome holding the household's state; any other
 * frame is parsed, the household's state is changed, serialized once and pushed to every member,
 * and the sender gets a `command.result`: one frame in, four out over three sockets, the same
 * bytes as the hub's, with no session, no checks and no trace. Frames sent in one turn leave in
 * one write per socket, as the hub's do. Prints its port.
 */
interface Member {
  id: string;
  name: string;
  kind: string;
  capabilities: unknown;
  online: boolean;
  volume: number;
  lastSeenAt: number;
}
const households = new FloorHouseholds<Member>();
const writer = new TurnWriter();
const send = (ws: WebSocket, text: string) => writer.send(ws, text);
const state = (h: FloorHousehold<Member>) => floorCluster(h.revision, h.devices);

floorServer().on('connection', (ws, req) => {
  const household = households.of(req.url);
  writer.attach(ws, req.socket);
  household.sockets.push(ws);
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as { type: string; commandId?: string; volumePercent?: number; device?: Member };
    household.revision++;
    if (m.type === 'device.hello' && m.device) {
      household.devices.push({ ...m.device, online: true, volume: 50, lastSeenAt: Date.now() });
      ws.send(
        JSON.stringify({
          type: 'hub.welcome',
          protocolVersion: 1,
          deviceId: m.device.id,
          serverTime: Date.now(),
          heartbeatMs: 15_000,
          cluster: state(household),
        }),
      );
      return;
    }
    const member = household.devices[household.sockets.indexOf(ws)];
    if (member && m.volumePercent !== undefined) member.volume = m.volumePercent;
    const push = JSON.stringify({ type: 'cluster.update', reason: m.type, cluster: state(household) });
    for (const s of household.sockets) send(s, push);
    send(ws, JSON.stringify({ type: 'command.result', commandId: m.commandId, ok: true, revision: household.revision }));
  });
  ws.on('close', () => household.sockets.splice(household.sockets.indexOf(ws), 1));
  ws.on('error', () => {});
});

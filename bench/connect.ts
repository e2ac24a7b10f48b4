import { LeanDevice, signDeviceToken } from '@handoff/device-sim';
import WebSocket from 'ws';

/** Open a plain socket (no permessage-deflate) and resolve once it is open. */
export function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${url}: HTTP ${res.statusCode}`)));
  });
}

/** The socket URL of a device of `user`, with a token signed with the hub's secret. */
export async function deviceUrl(wsUrl: string, secret: string, user: string, role = 'device'): Promise<string> {
  return `${wsUrl}?access_token=${await signDeviceToken(secret, user, 3600, role)}`;
}

/** Connect `count` lean devices of one user and wait for every welcome. */
export async function connectUser(
  wsUrl: string,
  secret: string,
  user: string,
  count: number,
  onFrame?: (device: number, type: string, text: string) => void,
): Promise<LeanDevice[]> {
  const url = await deviceUrl(wsUrl, secret, user);
  const devices = Array.from(
    { length: count },
    (_, i) => new LeanDevice({ url, id: `${user}-d${i}`, ...(onFrame ? { onFrame: (type: string, text: string) => onFrame(i, type, text) } : {}) }),
  );
  // One after another: the user's session opens once, every device joins it in order.
  for (const d of devices) await d.connect();
  return devices;
}

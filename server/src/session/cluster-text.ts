import type { ClusterUpdate, DeviceInfo } from '@handoff/protocol';

interface Piece {
  value: unknown;
  text: string;
}

/** How deep two values are compared before their text is reused (playback -> upNext -> track -> fields). */
const DEPTH = 3;

/**
 * The text of one session's `cluster.update` pushes, byte for byte `JSON.stringify(message)`,
 * made from the last push's text for the parts that did not change. On Node 20 `JSON.stringify`
 * of a three-device cluster costs about 9 us, the largest single part of a command's in-process
 * CPU; a volume change alters one device, so the other devices', the playback's and the groups'
 * text is reused. A part is reused when it equals the last one of its place (each device by id,
 * each other field of the cluster by name) key for key and in the same key order, compared a few
 * levels down and by identity below that: the context shares what did not change from one
 * revision to the next, so the comparison is a handful of `===`.
 */
export class ClusterText {
  private devices = new Map<string, Piece>();
  private readonly fields = new Map<string, Piece>();

  encode(message: ClusterUpdate): string {
    let text = '{';
    for (const key of Object.keys(message) as Array<keyof ClusterUpdate>) {
      const value = message[key];
      if (value === undefined) continue;
      if (text.length > 1) text += ',';
      text += `${JSON.stringify(key)}:${key === 'cluster' ? this.cluster(message.cluster) : JSON.stringify(value)}`;
    }
    return `${text}}`;
  }

  private cluster(cluster: ClusterUpdate['cluster']): string {
    let text = '{';
    for (const key of Object.keys(cluster) as Array<keyof typeof cluster>) {
      const value = cluster[key];
      if (value === undefined) continue;
      if (text.length > 1) text += ',';
      text += `${JSON.stringify(key)}:`;
      if (key === 'devices') text += this.deviceList(cluster.devices);
      else if (typeof value === 'object' && value !== null) text += reuse(this.fields, key, value);
      else text += JSON.stringify(value);
    }
    return `${text}}`;
  }

  private deviceList(devices: DeviceInfo[]): string {
    let text = '[';
    for (let i = 0; i < devices.length; i++) {
      const device = devices[i]!;
      if (i > 0) text += ',';
      text += reuse(this.devices, device.id, device);
    }
    // Devices that left: forget them (a household's devices, so this is rare and small).
    if (this.devices.size > devices.length) {
      const kept = new Map<string, Piece>();
      for (const device of devices) kept.set(device.id, this.devices.get(device.id)!);
      this.devices = kept;
    }
    return `${text}]`;
  }
}

function reuse(pieces: Map<string, Piece>, key: string, value: unknown): string {
  const last = pieces.get(key);
  if (last && same(last.value, value, DEPTH)) return last.text;
  const text = JSON.stringify(value);
  pieces.set(key, { value, text });
  return text;
}

/** Whether `a` and `b` have the same JSON text, judged `depth` levels down and by identity below. */
function same(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  if (depth === 0 || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i], depth - 1)) return false;
    return true;
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i]!;
    if (key !== keysB[i] || !same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], depth - 1)) return false;
  }
  return true;
}

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
 * levels down and by identity below that (the context is never changed in place, so what is
 * shared is unchanged).
 *
 * The message handed back carries the last push's objects for the parts that were reused (equal
 * values): the trace ring's diff between two clusters skips what is the same object, and
 * `toCluster` builds every `DeviceInfo` afresh.
 */
export class ClusterText {
  private devices = new Map<string, Piece>();
  private lastDevices: unknown[] = [];
  private readonly fields = new Map<string, Piece>();

  encode(message: ClusterUpdate): { text: string; message: ClusterUpdate } {
    const cluster: Record<string, unknown> = { ...message.cluster };
    let text = '{';
    for (const key of Object.keys(message) as Array<keyof ClusterUpdate>) {
      const value = message[key];
      if (value === undefined) continue;
      if (text.length > 1) text += ',';
      text += `${JSON.stringify(key)}:${key === 'cluster' ? this.cluster(cluster) : JSON.stringify(value)}`;
    }
    return { text: `${text}}`, message: { ...message, cluster: cluster as ClusterUpdate['cluster'] } };
  }

  /** The cluster's text; each part of `cluster` (a copy) that was reused is swapped for the last push's equal object. */
  private cluster(cluster: Record<string, unknown>): string {
    let text = '{';
    for (const key of Object.keys(cluster)) {
      const value = cluster[key];
      if (value === undefined) continue;
      if (text.length > 1) text += ',';
      text += `${JSON.stringify(key)}:`;
      if (key === 'devices') {
        text += this.deviceList(value as DeviceInfo[]);
        cluster[key] = this.lastDevices;
      } else if (typeof value === 'object' && value !== null) {
        const piece = reuse(this.fields, key, value);
        cluster[key] = piece.value;
        text += piece.text;
      } else text += JSON.stringify(value);
    }
    return `${text}}`;
  }

  private deviceList(devices: DeviceInfo[]): string {
    let text = '[';
    let unchanged = devices.length === this.lastDevices.length;
    const values: unknown[] = [];
    for (let i = 0; i < devices.length; i++) {
      const device = devices[i]!;
      const piece = reuse(this.devices, device.id, device);
      if (i > 0) text += ',';
      text += piece.text;
      values.push(piece.value);
      if (piece.value !== this.lastDevices[i]) unchanged = false;
    }
    if (!unchanged) this.lastDevices = values;
    // Devices that left: forget them (a household's devices, so this is rare and small).
    if (this.devices.size > devices.length) {
      const kept = new Map<string, Piece>();
      for (const device of devices) kept.set(device.id, this.devices.get(device.id)!);
      this.devices = kept;
    }
    return `${text}]`;
  }
}

function reuse(pieces: Map<string, Piece>, key: string, value: unknown): Piece {
  const last = pieces.get(key);
  if (last && same(last.value, value, DEPTH)) return last;
  const piece = { value, text: JSON.stringify(value) };
  pieces.set(key, piece);
  return piece;
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

import type { ClusterUpdate, DeviceInfo } from '@handoff/protocol';

interface Piece {
  value: unknown;
  text: string;
}

/** How deep two values are compared before their text is reused (playback -> upNext -> track -> its fields). */
const DEPTH = 3;

/** Stand-ins for the parts spliced in: a key followed by one of these is found in the text once. */
const NO_DEVICES: DeviceInfo[] = [];
const DEVICES_AT = '"devices":[]';
const PLAYBACK_AT = '"playback":0';

/**
 * The text of one session's `cluster.update` pushes, byte for byte `JSON.stringify(message)`,
 * with the devices and the playback taken from the last push's text when they did not change. On
 * Node 20 here `JSON.stringify` of a three-device cluster costs about 9 us (a device alone 2 us),
 * the largest single part of a command's CPU in-process; a volume change alters one device. The
 * rest of the message is one `JSON.stringify` with stand-ins where the two parts go (a key
 * followed by `:` cannot occur inside a JSON string, whose quotes are escaped, so each stand-in is
 * found once). A part is reused when it equals the last one of its place (a device by id) key for
 * key and in the same key order, compared a few levels down and by identity below that (the
 * context is never changed in place, so what is shared is unchanged).
 *
 * The message handed back carries the last push's objects for the parts that were reused (equal
 * values): the trace ring's diff between two clusters skips what is the same object, and
 * `toCluster` builds every `DeviceInfo` afresh.
 */
export class ClusterText {
  private devices = new Map<string, Piece>();
  private lastDevices: DeviceInfo[] = [];
  private readonly playback = new Map<string, Piece>();

  encode(message: ClusterUpdate): { text: string; message: ClusterUpdate } {
    const { devices, playback } = message.cluster;
    const shell = JSON.stringify({ ...message, cluster: { ...message.cluster, devices: NO_DEVICES, playback: 0 } });
    const at = shell.indexOf(DEVICES_AT);
    const pb = at < 0 ? -1 : shell.indexOf(PLAYBACK_AT, at);
    if (pb < 0 || devices === undefined || playback === undefined) return { text: JSON.stringify(message), message };
    const list = this.deviceList(devices);
    const played = reuse(this.playback, 'playback', playback);
    const text =
      shell.slice(0, at + DEVICES_AT.length - 1) +
      list +
      shell.slice(at + DEVICES_AT.length - 1, pb + PLAYBACK_AT.length - 1) +
      played.text +
      shell.slice(pb + PLAYBACK_AT.length);
    const cluster = { ...message.cluster, devices: this.lastDevices, playback: played.value as typeof playback };
    return { text, message: { ...message, cluster } };
  }

  private deviceList(devices: DeviceInfo[]): string {
    let text = '';
    let unchanged = devices.length === this.lastDevices.length;
    const values: DeviceInfo[] = [];
    for (let i = 0; i < devices.length; i++) {
      const device = devices[i]!;
      const piece = reuse(this.devices, device.id, device);
      if (i > 0) text += ',';
      text += piece.text;
      values.push(piece.value as DeviceInfo);
      if (piece.value !== this.lastDevices[i]) unchanged = false;
    }
    if (!unchanged) this.lastDevices = values;
    // Devices that left: forget them (a household's devices, so this is rare and small).
    if (this.devices.size > devices.length) {
      const kept = new Map<string, Piece>();
      for (const device of devices) kept.set(device.id, this.devices.get(device.id)!);
      this.devices = kept;
    }
    return text;
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

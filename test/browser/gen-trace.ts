import { writeFileSync } from 'node:fs';
import type { Cluster, DeviceInfo, Track, TraceEvent, TraceNote } from '@handoff/protocol';

/**
 * A synthetic but faithful trace: the events the hub records for a household passing playback
 * around (commands, transitions, timers, the two-phase transfer with its messages, cluster pushes
 * to every device, clock estimates), with real payload shapes and sizes. For measuring the viewer
 * on traces larger than a test run makes. `tsx test/browser/gen-trace.ts [events] [file]`.
 */
export function generateTrace(count: number, userId = 'bench'): TraceEvent[] {
  const devices = (['phone', 'speaker', 'tv', 'car', 'laptop'] as const).map((kind, i): DeviceInfo => ({
    id: `dev-${kind}`,
    name: `${kind[0]!.toUpperCase()}${kind.slice(1)} ${i + 1}`,
    kind: kind === 'laptop' ? 'computer' : kind,
    capabilities: { canPlay: true, volumeSteps: 100, mediaTypes: ['audio/track'], controllable: true },
    online: true,
    volume: 40 + i * 10,
    lastSeenAt: 0,
  }));
  const tracks = Array.from({ length: 9 }, (_, i): Track => ({
    uri: `demo:track:night-${i + 1}`,
    name: `Track ${i + 1}`,
    artists: ['The Handoffs'],
    album: 'Night Drive',
    durationMs: 40_000 + i * 1000,
    mediaType: 'audio/track',
  }));
  const events: TraceEvent[] = [];
  let ts = 1_700_000_000_000;
  let revision = 1;
  let active = devices[0]!.id;
  let n = 0;
  const push = (e: TraceNote, dt = 0.05) => {
    ts += dt;
    events.push({ seq: events.length + 1, ts, userId, ...e });
    return events.length;
  };
  const cluster = (): Cluster => ({
    userId,
    revision,
    activeDeviceId: active,
    devices,
    playback: {
      contextUri: 'demo:album:night-drive',
      track: tracks[revision % tracks.length]!,
      position: { positionMs: 1000, atServerTime: ts, rate: 1 },
      shuffle: false,
      repeat: 'off',
      upNext: tracks.slice(0, 8),
    },
  });
  for (const d of devices) {
    push({ kind: 'connection', type: 'opened', deviceId: d.id, payload: { connId: `c-${d.id}` } });
    push({
      kind: 'message.in',
      type: 'device.hello',
      deviceId: d.id,
      payload: {
        type: 'device.hello',
        protocolVersion: 1,
        device: { id: d.id, name: d.name, kind: d.kind, capabilities: d.capabilities },
      },
    });
    push({ kind: 'presence', type: 'joined', deviceId: d.id });
    push({
      kind: 'message.out',
      type: 'hub.welcome',
      deviceId: d.id,
      payload: { type: 'hub.welcome', protocolVersion: 1, deviceId: d.id, serverTime: ts, heartbeatMs: 5000, graceMs: 10_000, cluster: cluster() },
    });
  }
  while (events.length < count) {
    n++;
    const source = active;
    const target = devices[(devices.findIndex((d) => d.id === active) + 1 + (n % 3)) % devices.length]!.id;
    const commandId = `${source}-${n}`;
    const transferId = `tr-bench-${n}`;
    ts += 1500 + (n % 7) * 100;
    const cmd = push({
      kind: 'message.in',
      type: 'command.transfer',
      deviceId: source,
      correlationId: commandId,
      payload: { type: 'command.transfer', commandId, deviceId: target, play: true },
    });
    push({
      kind: 'transfer.phase',
      type: 'prepare',
      deviceId: target,
      correlationId: transferId,
      parentSeq: cmd,
      payload: { commandId, sourceId: source, targetId: target, play: true },
    });
    push({
      kind: 'message.out',
      type: 'transfer.prepare',
      deviceId: target,
      correlationId: transferId,
      parentSeq: cmd,
      payload: { type: 'transfer.prepare', transferId, playback: cluster().playback, volume: 50, deadline: ts + 5000 },
    });
    push({ kind: 'transition', type: 'command', from: 'idle', to: 'preparing', correlationId: commandId, parentSeq: cmd });
    push({
      kind: 'timer.armed',
      type: 'prepare',
      correlationId: commandId,
      parentSeq: cmd,
      payload: { at: ts + 5000, inMs: 5000 },
    });
    const ready = push(
      {
        kind: 'message.in',
        type: 'transfer.ready',
        deviceId: target,
        correlationId: transferId,
        payload: { type: 'transfer.ready', transferId },
      },
      120 + (n % 5) * 30,
    );
    const at = ts + 250;
    push({
      kind: 'transfer.phase',
      type: 'switch-scheduled',
      correlationId: transferId,
      parentSeq: ready,
      payload: { atServerTime: at, positionMs: 12_000, leadMs: 250 },
    });
    push({
      kind: 'message.out',
      type: 'transfer.switch',
      deviceId: target,
      correlationId: transferId,
      parentSeq: ready,
      payload: { type: 'transfer.switch', transferId, atServerTime: at, positionMs: 12_000, role: 'start' },
    });
    push({
      kind: 'message.out',
      type: 'transfer.switch',
      deviceId: source,
      correlationId: transferId,
      parentSeq: ready,
      payload: { type: 'transfer.switch', transferId, atServerTime: at, positionMs: 12_000, role: 'stop' },
    });
    push({
      kind: 'transition',
      type: 'transfer.ready',
      from: 'preparing',
      to: 'switching',
      correlationId: transferId,
      parentSeq: ready,
    });
    push({ kind: 'timer.cancelled', type: 'prepare', correlationId: transferId, parentSeq: ready, payload: { at: ts } });
    push({
      kind: 'timer.armed',
      type: 'switch',
      correlationId: transferId,
      parentSeq: ready,
      payload: { at: at + 2000, inMs: 2250 },
    });
    const started = push(
      {
        kind: 'message.in',
        type: 'transfer.started',
        deviceId: target,
        correlationId: transferId,
        payload: { type: 'transfer.started', transferId, atServerTime: at + (n % 4) },
      },
      265,
    );
    push({
      kind: 'transfer.phase',
      type: 'committed',
      deviceId: target,
      correlationId: transferId,
      parentSeq: started,
      payload: { durationMs: 640, sourceId: source },
    });
    revision++;
    active = target;
    for (const d of devices)
      push(
        {
          kind: 'message.out',
          type: 'cluster.update',
          deviceId: d.id,
          correlationId: transferId,
          parentSeq: started,
          payload: { type: 'cluster.update', reason: 'transfer', cluster: cluster() },
        },
        0.02,
      );
    push({
      kind: 'command.result',
      type: 'ok',
      correlationId: commandId,
      parentSeq: started,
      payload: { type: 'command.result', commandId, ok: true, revision },
    });
    push({
      kind: 'message.out',
      type: 'command.result',
      deviceId: source,
      correlationId: commandId,
      parentSeq: started,
      payload: { type: 'command.result', commandId, ok: true, revision },
    });
    push({
      kind: 'transition',
      type: 'transfer.started',
      from: 'switching',
      to: 'idle',
      correlationId: transferId,
      parentSeq: started,
    });
    push({ kind: 'timer.cancelled', type: 'switch', correlationId: transferId, parentSeq: started, payload: { at: at + 2000 } });
    const d = devices[n % devices.length]!;
    push(
      {
        kind: 'clock',
        type: 'estimate',
        deviceId: d.id,
        payload: { type: 'clock.sync', offsetMs: 400 - (n % 9), errorMs: 3.2, rttMs: 8.1 },
      },
      400,
    );
  }
  return events.slice(0, count);
}

if (process.argv[1]?.endsWith('gen-trace.ts')) {
  const count = Number(process.argv[2] ?? 100_000);
  const file = process.argv[3] ?? 'test-results/trace-100k.ndjson';
  const text =
    generateTrace(count)
      .map((e) => JSON.stringify(e))
      .join('\n') + '\n';
  writeFileSync(file, text);
  process.stdout.write(`${count} events, ${(text.length / 1e6).toFixed(1)} MB -> ${file}\n`);
}

import { TraceEvent } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { startFleet, synced } from '../helpers/fleet.ts';
import { startTestHub } from '../helpers/start-hub.ts';
import { viewerToken } from '../helpers/trace-client.ts';

// ---- OTLP/JSON, as opentelemetry-proto's JSON mapping writes it (hex ids, int64 as strings, enums as ints).
const hex = (n: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-f]{${n}}$`))
    .refine((s) => !/^0+$/.test(s), 'all-zero id');
const int64 = z.string().regex(/^\d+$/);
const AnyValue = z.union([
  z.object({ stringValue: z.string() }).strict(),
  z.object({ intValue: int64 }).strict(),
  z.object({ boolValue: z.boolean() }).strict(),
  z.object({ doubleValue: z.number() }).strict(),
]);
const KeyValue = z.object({ key: z.string().min(1), value: AnyValue }).strict();
const Span = z
  .object({
    traceId: hex(32),
    spanId: hex(16),
    parentSpanId: hex(16).optional(),
    name: z.string().min(1),
    kind: z.number().int().min(0).max(5),
    startTimeUnixNano: int64,
    endTimeUnixNano: int64,
    attributes: z.array(KeyValue),
    events: z.array(z.object({ timeUnixNano: int64, name: z.string(), attributes: z.array(KeyValue) }).strict()),
    links: z.array(z.object({ traceId: hex(32), spanId: hex(16), attributes: z.array(KeyValue) }).strict()),
    status: z.object({ code: z.number().int().min(0).max(2), message: z.string().optional() }).strict(),
  })
  .strict()
  .refine((s) => BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano), 'span ends before it starts');
const Otlp = z
  .object({
    resourceSpans: z.array(
      z.object({
        resource: z.object({ attributes: z.array(KeyValue) }),
        scopeSpans: z.array(z.object({ scope: z.object({ name: z.string(), version: z.string() }), spans: z.array(Span) })),
      }),
    ),
  })
  .strict();

// ---- Chrome trace-event JSON (the Trace Event Format doc; what Perfetto's JSON importer reads).
const ChromeEvent = z.discriminatedUnion('ph', [
  z.object({
    ph: z.literal('M'),
    name: z.enum(['process_name', 'thread_name', 'thread_sort_index']),
    pid: z.number(),
    tid: z.number(),
    args: z.record(z.string(), z.unknown()),
  }),
  z.object({
    ph: z.literal('X'),
    name: z.string(),
    cat: z.string(),
    pid: z.number(),
    tid: z.number(),
    ts: z.number().min(0),
    dur: z.number().min(0),
    args: z.record(z.string(), z.unknown()),
  }),
  z.object({
    ph: z.literal('b'),
    name: z.string(),
    cat: z.string(),
    id: z.string(),
    pid: z.number(),
    tid: z.number(),
    ts: z.number().min(0),
    args: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({
    ph: z.literal('e'),
    name: z.string(),
    cat: z.string(),
    id: z.string(),
    pid: z.number(),
    tid: z.number(),
    ts: z.number().min(0),
  }),
  ...(['s', 't', 'f'] as const).map((ph) =>
    z.object({
      ph: z.literal(ph),
      name: z.string(),
      cat: z.string(),
      id: z.string(),
      pid: z.number(),
      tid: z.number(),
      ts: z.number().min(0),
      bp: z.literal('e'),
    }),
  ),
]);
const Chrome = z
  .object({
    traceEvents: z.array(ChromeEvent),
    displayTimeUnit: z.enum(['ms', 'ns']),
    otherData: z.record(z.string(), z.unknown()),
  })
  .strict();

async function recordTransfer() {
  const hub = await startTestHub();
  const fleet = await startFleet(hub, 'frank', ['phone', 'speaker', 'tv']);
  const [phone, speaker] = fleet.devices as [(typeof fleet.devices)[0], (typeof fleet.devices)[0]];
  await synced(fleet.devices);
  await phone.command({ type: 'command.transfer', deviceId: phone.id });
  await phone.command({ type: 'command.play', contextUri: 'demo:album:night-drive', commandId: 'play-1' });
  expect(await phone.command({ type: 'command.transfer', deviceId: speaker.id, commandId: 'move-1' })).toMatchObject({
    ok: true,
  });
  const token = await viewerToken(hub, 'frank');
  const get = async (format: string) => {
    const res = await fetch(`${hub.url}/v1/users/frank/trace?format=${format}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    return res;
  };
  return {
    hub,
    fleet,
    get,
    async [Symbol.asyncDispose]() {
      await fleet[Symbol.asyncDispose]();
      await hub.close();
    },
  };
}

describe('trace exports', () => {
  test('NDJSON is one valid event per line, in seq order, and nothing else', async () => {
    await using rec = await recordTransfer();
    const res = await rec.get('ndjson');
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    const events = lines.map((line) => TraceEvent.strict().parse(JSON.parse(line)));
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(events.length).toBe(rec.hub.hub.trace.lastSeq('frank'));
  });

  test('OTLP JSON is valid: hex ids, int64 strings, the transfer a child span of its command with its messages as events', async () => {
    await using rec = await recordTransfer();
    const otlp = Otlp.parse(await (await rec.get('otlp')).json());
    const spans = otlp.resourceSpans[0]!.scopeSpans[0]!.spans;
    const attr = (s: z.infer<typeof Span>, key: string) => {
      const value = s.attributes.find((a) => a.key === key)?.value;
      return value && 'stringValue' in value ? value.stringValue : undefined;
    };
    const command = spans.find((s) => attr(s, 'correlation.id') === 'move-1')!;
    const transfer = spans.find((s) => attr(s, 'operation.kind') === 'transfer' && s.parentSpanId === command.spanId)!;
    expect(command.name).toBe('command.transfer');
    expect(transfer).toBeDefined();
    expect(transfer.traceId).toBe(command.traceId);
    expect(transfer.status.code).toBe(1);
    expect(transfer.events.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'message.out transfer.prepare',
        'message.in transfer.ready',
        'message.out transfer.switch',
        'message.in transfer.started',
        'transfer.phase committed',
      ]),
    );
    const phases = spans.filter((s) => s.parentSpanId === transfer.spanId).map((s) => s.name);
    expect(phases).toEqual(['prepare', 'switch']);
    // Span ids are unique; every parent exists in the same trace.
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);
    for (const s of spans.filter((s) => s.parentSpanId)) {
      expect(spans.some((p) => p.spanId === s.parentSpanId && p.traceId === s.traceId)).toBe(true);
    }
    // Presence, hellos and clock estimates land on per-device spans of a session trace.
    expect(spans.some((s) => s.name.startsWith('session '))).toBe(true);
    expect(spans.filter((s) => s.name.startsWith('device ')).length).toBe(3);
  });

  test('Chrome trace JSON is valid: a track per device and the hub, well-nested slices, flow arrows for the transfer', async () => {
    await using rec = await recordTransfer();
    const trace = Chrome.parse(await (await rec.get('chrome')).json());
    const events = trace.traceEvents;
    const threads = events.flatMap((e) => (e.ph === 'M' && e.name === 'thread_name' ? [String(e.args.name)] : []));
    expect(threads).toEqual(expect.arrayContaining(['hub', ...rec.fleet.devices.map((d) => `device ${d.id}`), 'transfers']));

    // Slices on one track never partly overlap (Perfetto drops those).
    const byTid = new Map<number, Array<{ ts: number; dur: number }>>();
    for (const e of events) if (e.ph === 'X') byTid.set(e.tid, [...(byTid.get(e.tid) ?? []), { ts: e.ts, dur: e.dur }]);
    for (const slices of byTid.values()) {
      slices.sort((a, b) => a.ts - b.ts);
      for (let i = 1; i < slices.length; i++)
        expect(slices[i]!.ts).toBeGreaterThanOrEqual(slices[i - 1]!.ts + slices[i - 1]!.dur);
    }
    // Async begin/end pairs match.
    const open = new Map<string, number>();
    for (const e of events) {
      if (e.ph === 'b') open.set(`${e.id}/${e.name}`, (open.get(`${e.id}/${e.name}`) ?? 0) + 1);
      if (e.ph === 'e') open.set(`${e.id}/${e.name}`, (open.get(`${e.id}/${e.name}`) ?? 0) - 1);
    }
    expect([...open.values()].every((n) => n === 0)).toBe(true);
    // One flow per transfer: s ... t ... f, each bound to a slice at the same place on the same track, crossing tracks.
    const flows = events.filter((e) => e.ph === 's' || e.ph === 't' || e.ph === 'f') as Array<{
      ph: string;
      id: string;
      tid: number;
      ts: number;
    }>;
    const ids = [...new Set(flows.map((f) => f.id))];
    expect(ids.length).toBeGreaterThanOrEqual(1);
    for (const id of ids) {
      const flow = flows.filter((f) => f.id === id);
      expect(flow[0]!.ph).toBe('s');
      expect(flow[flow.length - 1]!.ph).toBe('f');
      expect(new Set(flow.map((f) => f.tid)).size).toBeGreaterThan(1);
      for (const f of flow) expect(events.some((e) => e.ph === 'X' && e.tid === f.tid && e.ts === f.ts)).toBe(true);
    }
  });
});

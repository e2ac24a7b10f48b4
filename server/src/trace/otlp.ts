import { createHash } from 'node:crypto';
import type { TraceEvent } from '@handoff/protocol';
import { groupByOperation, transferMilestones, type Operation } from './groups.ts';
import { redactJson } from './redact.ts';

/**
 * OTLP/JSON (what the OpenTelemetry file exporter writes and Jaeger imports): one trace per
 * command, a transfer as a child span of the command that asked for it (or its own trace), its
 * prepare and switch phases as child spans, and every message, transition and timer as a span
 * event. Events of no command (presence, clock, connections) go to a session trace with a span
 * per device. Ids are hex; 64-bit integers are decimal strings; enums are integers.
 */
export interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: KeyValue[] };
    scopeSpans: Array<{ scope: { name: string; version: string }; spans: OtlpSpan[] }>;
  }>;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  events: Array<{ timeUnixNano: string; name: string; attributes: KeyValue[] }>;
  links: Array<{ traceId: string; spanId: string; attributes: KeyValue[] }>;
  status: { code: number; message?: string };
}

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean } | { doubleValue: number };
export interface KeyValue {
  key: string;
  value: AnyValue;
}

const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_SERVER = 2;
const STATUS_UNSET = 0;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
/** Payloads longer than this are cut in span event attributes. */
const MAX_PAYLOAD_CHARS = 8192;

export function toOtlp(userId: string, events: readonly TraceEvent[], service = 'handoff-hub'): OtlpExport {
  const { operations, loose } = groupByOperation(events);
  const ids = (op: Operation) => ({
    traceId: hex(userId, 'trace', op.correlationId, 32),
    spanId: hex(userId, 'span', op.correlationId, 16),
  });
  const byId = new Map(operations.map((op) => [op.correlationId, op]));
  const spans: OtlpSpan[] = [];

  for (const op of operations) {
    const { spanId } = ids(op);
    let { traceId } = ids(op);
    const parent = op.kind === 'transfer' && op.commandId ? byId.get(op.commandId) : undefined;
    const links: OtlpSpan['links'] = [];
    if (parent) traceId = ids(parent).traceId;
    else if (op.commandId)
      links.push({
        traceId: hex(userId, 'trace', op.commandId, 32),
        spanId: hex(userId, 'span', op.commandId, 16),
        attributes: [str('correlation.id', op.commandId)],
      });
    const span: OtlpSpan = {
      traceId,
      spanId,
      ...(parent ? { parentSpanId: ids(parent).spanId } : {}),
      name: op.kind === 'transfer' ? `transfer ${op.targetId ? `to ${op.targetId}` : op.correlationId}` : op.name,
      kind: op.kind === 'command' ? SPAN_KIND_SERVER : SPAN_KIND_INTERNAL,
      startTimeUnixNano: nanos(op.start),
      endTimeUnixNano: nanos(op.end),
      attributes: [
        str('user.id', userId),
        str('correlation.id', op.correlationId),
        str('operation.kind', op.kind),
        ...(op.targetId ? [str('transfer.target', op.targetId)] : []),
        str('outcome', op.outcome),
      ],
      events: op.events.map(spanEvent),
      links,
      status: {
        code: op.outcome === 'ok' ? STATUS_OK : op.outcome === 'error' ? STATUS_ERROR : STATUS_UNSET,
        ...(op.message ? { message: op.message } : {}),
      },
    };
    spans.push(span);
    if (op.kind === 'transfer') spans.push(...phaseSpans(op, span));
  }

  if (loose.length > 0) {
    const key = `session:${loose[0]!.seq}`;
    const traceId = hex(userId, 'trace', key, 32);
    const rootId = hex(userId, 'span', key, 16);
    spans.push({
      traceId,
      spanId: rootId,
      name: `session ${userId}`,
      kind: SPAN_KIND_INTERNAL,
      startTimeUnixNano: nanos(loose[0]!.ts),
      endTimeUnixNano: nanos(loose[loose.length - 1]!.ts),
      attributes: [str('user.id', userId)],
      events: [],
      links: [],
      status: { code: STATUS_UNSET },
    });
    const byLane = new Map<string, TraceEvent[]>();
    for (const e of loose) {
      const lane = e.deviceId ?? 'hub';
      byLane.set(lane, [...(byLane.get(lane) ?? []), e]);
    }
    for (const [lane, list] of byLane) {
      spans.push({
        traceId,
        spanId: hex(userId, 'span', `${key}:${lane}`, 16),
        parentSpanId: rootId,
        name: lane === 'hub' ? 'hub' : `device ${lane}`,
        kind: SPAN_KIND_INTERNAL,
        startTimeUnixNano: nanos(list[0]!.ts),
        endTimeUnixNano: nanos(list[list.length - 1]!.ts),
        attributes: [str('user.id', userId), ...(lane === 'hub' ? [] : [str('device.id', lane)])],
        events: list.map(spanEvent),
        links: [],
        status: { code: STATUS_UNSET },
      });
    }
  }

  return {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', service), str('user.id', userId)] },
        scopeSpans: [{ scope: { name: '@handoff/server/trace', version: '1' }, spans }],
      },
    ],
  };
}

/** The prepare phase (prepare -> ready) and the switch (scheduled -> started or end) as child spans. */
function phaseSpans(op: Operation, parent: OtlpSpan): OtlpSpan[] {
  const m = transferMilestones(op);
  const child = (name: string, start: number, end: number): OtlpSpan => ({
    traceId: parent.traceId,
    spanId: hex(op.correlationId, 'phase', name, 16),
    parentSpanId: parent.spanId,
    name,
    kind: SPAN_KIND_INTERNAL,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(Math.max(start, end)),
    attributes: [str('correlation.id', op.correlationId)],
    events: [],
    links: [],
    status: { code: STATUS_UNSET },
  });
  const out: OtlpSpan[] = [];
  if (m.prepare !== undefined) out.push(child('prepare', m.prepare, m.ready ?? m.end ?? op.end));
  if (m.scheduled !== undefined) {
    const span = child('switch', m.scheduled, m.end ?? op.end);
    if (m.switchAt !== undefined) span.attributes.push(str('switch.at_server_time', String(m.switchAt)));
    out.push(span);
  }
  return out;
}

function spanEvent(e: TraceEvent): OtlpSpan['events'][number] {
  const attributes: KeyValue[] = [int('trace.seq', e.seq), str('trace.kind', e.kind), str('trace.type', e.type)];
  if (e.deviceId !== undefined) attributes.push(str('device.id', e.deviceId));
  if (e.recipients !== undefined) attributes.push(str('message.recipients', e.recipients.join(',')));
  if (e.parentSeq !== undefined) attributes.push(int('trace.parent_seq', e.parentSeq));
  if (e.kind === 'transition') {
    if (e.from !== undefined) attributes.push(str('state.from', e.from));
    attributes.push(str('state.to', e.to));
  }
  if (e.payload !== undefined) attributes.push(str('payload', redactJson(JSON.stringify(e.payload)).slice(0, MAX_PAYLOAD_CHARS)));
  return { timeUnixNano: nanos(e.ts), name: `${e.kind} ${e.type}`, attributes };
}

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: String(Math.trunc(value)) } });

/** Milliseconds since the epoch (fractional) as nanoseconds, a decimal string without float rounding. */
export function nanos(ms: number): string {
  const whole = Math.floor(ms);
  return (BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6))).toString();
}

/** A stable non-zero hex id of `length` digits for the given parts. */
function hex(...parts: [...string[], number]): string {
  const length = parts.pop() as number;
  const digest = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, length);
  return /^0+$/.test(digest) ? '1'.padStart(length, '0') : digest;
}

import type { TraceEvent } from '@handoff/protocol';

/**
 * Payloads are the hub's messages, immutable once recorded, and one message is often the payload
 * of several events (a push traced once per recipient) read by several viewers: each payload
 * object is serialized once and its text reused.
 */
const payloadJson = new WeakMap<object, string>();

/** One trace event as JSON (its payload last), reusing the text of a payload already serialized. */
export function traceEventJson(event: TraceEvent): string {
  const { payload } = event;
  if (payload === null || typeof payload !== 'object') return JSON.stringify(event);
  let text = payloadJson.get(payload);
  if (text === undefined) {
    text = JSON.stringify(payload);
    payloadJson.set(payload, text);
  }
  const head = JSON.stringify({ ...event, payload: undefined });
  return `${head.slice(0, -1)},"payload":${text}}`;
}

/** A `trace.events` frame: the same JSON as serializing the message whole, payloads reused. */
export function traceEventsJson(events: TraceEvent[]): string {
  let out = '{"type":"trace.events","events":[';
  for (let i = 0; i < events.length; i++) out += (i ? ',' : '') + traceEventJson(events[i]!);
  return out + ']}';
}

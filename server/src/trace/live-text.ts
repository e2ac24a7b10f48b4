import type { TraceKind } from '@handoff/protocol';
import { redactJson, redactTokens } from './redact.ts';

/** An event's fields as a ring keeps them, for its text. */
export interface LiveFields {
  seq: number;
  ts: number;
  /** The user, already as JSON text (the ring's own, quoted once). */
  userText: string;
  kind: TraceKind;
  type: string;
  deviceId?: string | undefined;
  /** The recipients, already as JSON text (shared by consecutive pushes to the same devices). */
  recipientsText?: string | undefined;
  correlationId?: string | undefined;
  parentSeq?: number | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /**
   * The text of a frame the hub sent (a HubMessage), when the recorder had it, else the payload.
   * Its keys are the protocol's, none of them secret-shaped (live-text.test.ts checks the
   * schema), so only a token is looked for in it.
   */
  payloadText?: string | undefined;
  payload?: unknown;
}

/** A string as JSON: most of the hub's ids and names need no escaping, and skip the serializer. */
export function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const jsonNumber = (n: number): string => (Number.isFinite(n) ? `${n}` : 'null');

/**
 * An event's full redacted JSON text, the same as `redactJson(JSON.stringify(event))` (the key
 * order of `TraceEvent`, absent fields left out), made without building and serializing an event
 * object. The fields before the payload are the hub's own keys with values that are ids, names
 * and numbers: no secret-looking key can be among them, so only a token shaped like a JWT is
 * looked for there, and so in a frame the hub sent (`payloadText`: the protocol's keys). Any
 * other payload is redacted on its own; no secret or token can straddle the two, since neither
 * pattern crosses the `,"payload":` between them.
 */
export function liveText(f: LiveFields): string {
  let head = `{"seq":${jsonNumber(f.seq)},"ts":${jsonNumber(f.ts)},"userId":${f.userText},"kind":"${f.kind}","type":${jsonString(f.type)}`;
  if (f.deviceId !== undefined) head += `,"deviceId":${jsonString(f.deviceId)}`;
  if (f.recipientsText !== undefined) head += `,"recipients":${f.recipientsText}`;
  if (f.correlationId !== undefined) head += `,"correlationId":${jsonString(f.correlationId)}`;
  if (f.parentSeq !== undefined) head += `,"parentSeq":${jsonNumber(f.parentSeq)}`;
  if (f.from !== undefined) head += `,"from":${jsonString(f.from)}`;
  if (f.to !== undefined) head += `,"to":${jsonString(f.to)}`;
  // A token lies within one field: look in the fields themselves, not in the text just joined
  // (searching that would first copy it flat).
  if (mayHoldToken(f)) head = redactTokens(head);
  if (f.payloadText !== undefined) return `${head},"payload":${redactTokens(f.payloadText)}}`;
  return f.payload === undefined ? `${head}}` : `${head},"payload":${redactJson(JSON.stringify(f.payload))}}`;
}

/** A JWT starts `eyJ`; its `yJ` cannot come from JSON's escapes (an escape such as `\udfde` may end in `e`), so a field without it gives no token in the text. */
const TOKEN_START = 'yJ';
const mayHoldToken = (f: LiveFields): boolean =>
  f.userText.includes(TOKEN_START) ||
  f.type.includes(TOKEN_START) ||
  (f.deviceId?.includes(TOKEN_START) ?? false) ||
  (f.recipientsText?.includes(TOKEN_START) ?? false) ||
  (f.correlationId?.includes(TOKEN_START) ?? false) ||
  (f.from?.includes(TOKEN_START) ?? false) ||
  (f.to?.includes(TOKEN_START) ?? false);

/** A list of strings as JSON. */
export function jsonStrings(list: readonly string[]): string {
  let text = '[';
  for (let i = 0; i < list.length; i++) text += (i === 0 ? '' : ',') + jsonString(list[i]!);
  return `${text}]`;
}

import fc from 'fast-check';
import { HubMessage, TraceKind } from '@handoff/protocol';
import { z } from 'zod';
import { describe, expect, test } from 'vitest';
import { jsonString, jsonStrings, liveText } from './live-text.ts';
import { redactJson } from './redact.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
/** Strings as ids and names come: plain, with quotes, escapes and non-ASCII, or a token in them. */
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('a"b', 'x\\y', 'tab\there', 'é', '\ud800', JWT, `id-${JWT}`, "\udfdeyJhbGciOiJIUzI1NiJ9.c2lnbmF0dXJl.c2lnbmF0dXJlLXNpZ25hdHVyZQ", 'token'));
const payload = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue(),
  fc.record({ type: fc.constant('device.hello'), token: text, nested: fc.record({ apiKey: text, name: text }) }),
  fc.record({ deviceId: text, note: text, password: fc.string() }),
  // Keys that look like secrets, or nearly: the redaction must find exactly the ones it would in the whole text.
  fc.dictionary(fc.constantFrom('x_token', 'TOKEN', 'api_key', 'apikey', 'refreshToken', 'Authorization', 'tokens', 'keys', 'monkey', 'a"token', 'tok\\en', 'name'), fc.oneof(text, fc.integer(), fc.jsonValue())),
);

describe('liveText', () => {
  test('is the redacted JSON of the event, for any fields and payloads', () => {
    fc.assert(
      fc.property(
        fc.record({
          seq: fc.integer({ min: 1 }),
          ts: fc.double({ noNaN: true, noDefaultInfinity: true }),
          userId: text,
          kind: fc.constantFrom(...TraceKind.options),
          type: text,
          device: fc.option(fc.oneof(text.map((id) => ({ deviceId: id })), fc.array(text, { maxLength: 4 }).map((r) => ({ recipients: r })))),
          correlationId: fc.option(text, { nil: undefined }),
          parentSeq: fc.option(fc.integer({ min: 1 }), { nil: undefined }),
          from: fc.option(text, { nil: undefined }),
          to: fc.option(text, { nil: undefined }),
          payload,
        }),
        (e) => {
          const event = {
            seq: e.seq,
            ts: e.ts,
            userId: e.userId,
            kind: e.kind,
            type: e.type,
            deviceId: e.device && 'deviceId' in e.device ? e.device.deviceId : undefined,
            recipients: e.device && 'recipients' in e.device ? e.device.recipients : undefined,
            correlationId: e.correlationId,
            parentSeq: e.parentSeq,
            from: e.from,
            to: e.to,
            payload: e.payload,
          };
          const made = liveText({
            seq: e.seq,
            ts: e.ts,
            userText: jsonString(e.userId),
            kind: e.kind,
            type: e.type,
            deviceId: event.deviceId,
            recipientsText: event.recipients && jsonStrings(event.recipients),
            correlationId: e.correlationId,
            parentSeq: e.parentSeq,
            from: e.from,
            to: e.to,
            payload: e.payload,
          });
          expect(made).toBe(redactJson(JSON.stringify(event)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("a frame the hub sent, given as its text, is the redacted JSON of the event too: its tokens are found", () => {
    fc.assert(
      fc.property(fc.record({ name: text, commandId: text, uri: text }), (f) => {
        const frame = { type: 'cluster.update', reason: f.commandId, cluster: { devices: [{ id: f.commandId, name: f.name }], playback: { contextUri: f.uri } } };
        const fields = { seq: 3, ts: 4, kind: 'message.out' as const, type: 'cluster.update', correlationId: f.commandId };
        const made = liveText({ ...fields, userText: jsonString('u'), payloadText: JSON.stringify(frame), payload: frame });
        expect(made).toBe(redactJson(JSON.stringify({ seq: 3, ts: 4, userId: 'u', kind: 'message.out', type: 'cluster.update', correlationId: f.commandId, payload: frame })));
      }),
      { numRuns: 500 },
    );
  });

  test('no key of a frame the hub sends looks like a secret (so its text is searched for tokens only)', () => {
    const keys = new Set<string>();
    const walk = (schema: unknown): void => {
      if (Array.isArray(schema)) return schema.forEach(walk);
      if (typeof schema !== 'object' || schema === null) return;
      const properties = (schema as { properties?: Record<string, unknown> }).properties;
      if (properties) for (const key of Object.keys(properties)) keys.add(key);
      Object.values(schema).forEach(walk);
    };
    walk(z.toJSONSchema(HubMessage, { unrepresentable: 'any' }));
    expect(keys.size).toBeGreaterThan(30);
    const secretShaped = [...keys].filter((key) => redactJson(JSON.stringify({ [key]: 'x' })) !== JSON.stringify({ [key]: 'x' }));
    expect(secretShaped).toEqual([]);
  });

  test('a token that only JSON escaping completes (a lone surrogate escaped as \\udfde, then yJ...) is redacted as in the whole text', () => {
    const deviceId = "\udfdeyJhbGciOiJIUzI1NiJ9.c2lnbmF0dXJl.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    const made = liveText({ seq: 1, ts: 1, userText: jsonString('u'), kind: 'message.in', type: 't', deviceId });
    expect(made).toBe(redactJson(JSON.stringify({ seq: 1, ts: 1, userId: 'u', kind: 'message.in', type: 't', deviceId })));
    expect(made).toContain('[redacted]');
  });

  test('a token in an id and secrets in the payload are redacted', () => {
    const made = liveText({ seq: 1, ts: 2.5, userText: jsonString('alice'), kind: 'message.in', type: 'device.hello', deviceId: `d-${JWT}`, payload: { token: 'abc', name: 'kitchen' } });
    expect(JSON.parse(made)).toEqual({ seq: 1, ts: 2.5, userId: 'alice', kind: 'message.in', type: 'device.hello', deviceId: 'd-[redacted]', payload: { token: '[redacted]', name: 'kitchen' } });
  });
});

import { describe, expect, test } from 'vitest';
import { toChrome } from '../../server/src/trace/chrome.ts';
import { toOtlp } from '../../server/src/trace/otlp.ts';
import { parseTraceFile, toNdjson } from '../../viewer/src/net/trace-file.ts';
import { generateTrace } from '../browser/gen-trace.ts';

const key = (e: { seq: number; kind: string; type: string; deviceId?: string }) => `${e.seq} ${e.kind} ${e.type} ${e.deviceId ?? 'hub'}`;

describe('importing trace files', () => {
  const events = generateTrace(600, 'alice');

  test('the hub’s own OTLP export reads back as the same events, payloads and all', () => {
    const parsed = parseTraceFile(JSON.stringify(toOtlp('alice', events)));
    expect(parsed.format).toBe('otlp');
    expect(parsed.error).toBeNull();
    expect(parsed.userId).toBe('alice');
    expect(parsed.events.map(key)).toEqual(events.map(key));
    const switchEvent = events.find((e) => e.type === 'transfer.switch')!;
    expect(parsed.events.find((e) => e.seq === switchEvent.seq)!.payload).toEqual(switchEvent.payload);
    expect(parsed.events.find((e) => e.seq === switchEvent.seq)!.ts).toBeCloseTo(switchEvent.ts, 3);
  });

  test('the hub’s own Chrome export reads back as the same events', () => {
    const parsed = parseTraceFile(JSON.stringify(toChrome('alice', events)));
    expect(parsed.format).toBe('chrome');
    expect(parsed.userId).toBe('alice');
    expect(parsed.events.map(key)).toEqual(events.map(key));
    expect(parsed.events.at(-1)!.ts).toBeCloseTo(events.at(-1)!.ts, 3);
  });

  test('a file that is no trace says what it is instead of opening empty', () => {
    expect(parseTraceFile('').error).toBe('The file is empty.');
    expect(parseTraceFile('{"name":"my-app","version":"1.0.0"}').error).toMatch(/JSON object with keys name, version, not a trace/);
    expect(parseTraceFile('<html><body>hi</body></html>').error).toMatch(/not JSON or NDJSON \(it begins “<html>/);
    expect(parseTraceFile('{"a":1}\n{"b":2}\n').error).toMatch(/2 JSON lines, none of them a trace event/);
    expect(parseTraceFile(JSON.stringify({ resourceSpans: [] })).error).toMatch(/This is OTLP JSON, but none/);
    expect(parseTraceFile(toNdjson(events)).error).toBeNull();
  });
});

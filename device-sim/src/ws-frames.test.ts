import { describe, expect, test } from 'vitest';
import { clientFrame, closeFrame, FrameReader, Opcode, type FrameSink } from './ws-frames.ts';

/** A server's frame: unmasked, as a server sends them. */
function serverFrame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const n = body.length;
  const head = n < 126 ? Buffer.from([0, n]) : n < 65_536 ? Buffer.from([0, 126, n >> 8, n & 0xff]) : Buffer.alloc(10);
  if (n >= 65_536) {
    head[1] = 127;
    head.writeUInt32BE(n, 6);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([head, body]);
}

function recorder(): { events: string[]; sink: FrameSink } {
  const events: string[] = [];
  return {
    events,
    sink: {
      text: (p) => events.push(`text ${p.length} ${p.toString().slice(0, 40)}`),
      ping: (p) => events.push(`ping ${p.toString()}`),
      close: (code, reason) => events.push(`close ${code} ${reason}`),
      error: (reason) => events.push(`error ${reason}`),
    },
  };
}

const long = `{"type":"cluster.update","pad":"${'x'.repeat(300)}"}`;
const huge = `{"type":"hub.welcome","pad":"${'y'.repeat(70_000)}"}`;
const frames = [
  serverFrame(Opcode.text, '{"type":"hub.welcome","cluster":{}}'),
  serverFrame(Opcode.ping, 'hb'),
  serverFrame(Opcode.text, long),
  serverFrame(Opcode.text, '{"type":"clock.', false),
  serverFrame(Opcode.ping, 'mid'),
  serverFrame(Opcode.continuation, 'ping","pingId":1', false),
  serverFrame(Opcode.continuation, ',"t0":2}'),
  serverFrame(Opcode.pong, ''),
  serverFrame(Opcode.text, huge),
  serverFrame(Opcode.close, Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('bye')])),
  serverFrame(Opcode.text, 'after the close'),
];
const stream = Buffer.concat(frames);
const expected = [
  'text 35 {"type":"hub.welcome","cluster":{}}',
  'ping hb',
  `text ${long.length} ${long.slice(0, 40)}`,
  'ping mid',
  'text 39 {"type":"clock.ping","pingId":1,"t0":2}',
  `text ${huge.length} ${huge.slice(0, 40)}`,
  'close 4001 bye',
];

describe('the raw client reads the server frames whatever the TCP stream cuts', () => {
  test('the whole stream in one read: every message once, fragments joined, nothing after the close', () => {
    const { events, sink } = recorder();
    new FrameReader(sink).push(stream);
    expect(events).toEqual(expected);
  });

  test('the stream cut in two at every byte boundary reads the same', () => {
    for (let cut = 1; cut < stream.length; cut += cut < 600 ? 1 : 997) {
      const { events, sink } = recorder();
      const reader = new FrameReader(sink);
      reader.push(stream.subarray(0, cut));
      reader.push(stream.subarray(cut));
      expect(events, `cut at ${cut}`).toEqual(expected);
    }
  });

  test('the stream read one byte at a time reads the same', () => {
    const small = Buffer.concat(frames.slice(0, 8));
    const { events, sink } = recorder();
    const reader = new FrameReader(sink);
    for (let i = 0; i < small.length; i++) reader.push(small.subarray(i, i + 1));
    expect(events).toEqual(expected.slice(0, 5));
  });

  test('a masked frame, a binary message or a fragmented ping is an error, and nothing is read after it', () => {
    for (const bad of [Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x7b, 0x7d]), serverFrame(Opcode.binary, 'x'), serverFrame(Opcode.ping, 'x', false), serverFrame(Opcode.continuation, 'x')]) {
      const { events, sink } = recorder();
      new FrameReader(sink).push(Buffer.concat([bad, serverFrame(Opcode.text, 'ok')]));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatch(/^error /);
    }
  });
});

describe('the raw client writes frames a server reads', () => {
  test('each length form carries its payload behind the zero mask key', () => {
    for (const n of [0, 125, 126, 65_535, 65_536]) {
      const frame = clientFrame('z'.repeat(n));
      const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
      expect(frame[0]).toBe(0x81);
      expect(frame[1]! & 0x80).toBe(0x80);
      const length = n < 126 ? frame[1]! & 0x7f : n < 65_536 ? frame.readUInt16BE(2) : frame.readUInt32BE(6);
      expect(length).toBe(n);
      expect(frame.readUInt32BE(head)).toBe(0);
      expect(frame.length).toBe(head + 4 + n);
    }
    expect([...closeFrame(1000)]).toEqual([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
  });
});

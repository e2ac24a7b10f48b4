import { CloseCode } from '@handoff/protocol';
import { describe, expect, test } from 'vitest';
import { SimulatedClock } from 'xstate';
import { COALESCE_MS, FrameGuard, type Refusal } from './frame-guard.ts';

const settings = { maxInvalidFrames: 10, windowMs: 10_000, closeCode: CloseCode.INVALID_FRAMES, maxFrameBytes: 64 };
const bad: Refusal = { code: 'BAD_JSON', message: 'not JSON' };

function guard() {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const summaries: Refusal[] = [];
  return { clock, summaries, guard: new FrameGuard(settings, clock, (r) => summaries.push(r)) };
}

describe('frame guard', () => {
  test('the Nth invalid frame within the window closes; until halfway each is answered, then they go quiet', () => {
    const { guard: g } = guard();
    const verdicts = Array.from({ length: 10 }, () => g.strike(bad, false));
    expect(verdicts).toEqual([...Array<string>(4).fill('reply'), ...Array<string>(5).fill('quiet'), 'close']);
  });

  test('frames before device.hello count double', () => {
    const { guard: g } = guard();
    const verdicts = Array.from({ length: 5 }, () => g.strike(bad, true));
    expect(verdicts).toEqual(['reply', 'reply', 'quiet', 'quiet', 'close']);
  });

  test('a new window starts afresh once the old one has passed', () => {
    const { guard: g, clock } = guard();
    for (let i = 0; i < 9; i++) g.strike(bad, false);
    clock.increment(settings.windowMs);
    expect(g.strike(bad, false)).toBe('reply');
  });

  test('quiet refusals are summed up in one summary a second, with the last reason', () => {
    const { guard: g, clock, summaries } = guard();
    for (let i = 0; i < 4; i++) g.strike(bad, false);
    g.strike(bad, false);
    g.strike({ code: 'UNKNOWN_TYPE', message: 'unknown message type "x"' }, false);
    expect(summaries).toEqual([]);
    clock.increment(COALESCE_MS);
    expect(summaries).toEqual([{ code: 'UNKNOWN_TYPE', message: '2 more invalid frames refused without a reply; the last: unknown message type "x"' }]);
  });

  test('no summary is sent for a socket that was closed', () => {
    const { guard: g, clock, summaries } = guard();
    for (let i = 0; i < 10; i++) g.strike(bad, false);
    clock.increment(COALESCE_MS);
    expect(summaries).toEqual([]);
  });

  test.each([
    ['binary', Buffer.from('{}'), true, 'BAD_REQUEST'],
    ['oversized', Buffer.from(`{"type":"${'x'.repeat(100)}"}`), false, 'BAD_REQUEST'],
    ['not an object', Buffer.from('[1,2,3]'), false, 'BAD_JSON'],
    ['a bare string', Buffer.from('"x"'), false, 'BAD_JSON'],
    ['empty', Buffer.alloc(0), false, 'BAD_JSON'],
  ])('%s frames are refused before any parsing', (_what, data, isBinary, code) => {
    expect(guard().guard.screen(data, isBinary)).toMatchObject({ code });
  });

  test('an object of allowed size passes the screen', () => {
    expect(guard().guard.screen(Buffer.from('{"type":"clock.pong"}'), false)).toBeNull();
  });
});

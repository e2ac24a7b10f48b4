import { PROTOCOL_VERSION } from '@handoff/protocol';
import type { Random } from './random.ts';

/** What a fuzzed frame is, and the answers the hub may give to it. */
export interface Frame {
  category: string;
  data: string | Buffer;
  /** Error codes or close codes that count as a documented answer; 'result' is a command.result. */
  answers: ReadonlyArray<string | number>;
}

const COMMAND_TYPES = ['transfer', 'play', 'pause', 'resume', 'seek', 'next', 'previous', 'volume', 'shuffle', 'repeat', 'queue'];
const HUGE = [1e308, -1e308, 2 ** 53 + 1, -1, 0.5, 1e21, Number.MAX_SAFE_INTEGER];
const ANY_ERROR = ['BAD_JSON', 'BAD_REQUEST', 'UNKNOWN_TYPE', 'NOT_READY', 'RATE_LIMITED', 'result'] as const;

function junkValue(r: Random, depth = 0): unknown {
  switch (r.int(depth > 3 ? 4 : 7)) {
    case 0:
      return r.pick(HUGE);
    case 1:
      return r.pick(['', 'x'.repeat(r.int(300)), '\u0000\uffff', '😀', '<script>']);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return Array.from({ length: r.int(4) }, () => junkValue(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(4) }, (_, i) => [r.pick(['type', 'commandId', 'deviceId', 'positionMs', `k${i}`]), junkValue(r, depth + 1)]));
  }
}

/** One bad (or valid but out-of-place) frame, drawn from every category the hub must survive. */
export function fuzzFrame(r: Random, ctx: { victimDevice: string }): Frame {
  switch (r.int(9)) {
    case 0: {
      const text = JSON.stringify({ type: 'command.seek', commandId: 'x', positionMs: 5 });
      return { category: 'malformed-json', data: text.slice(0, 1 + r.int(text.length - 2)) + r.pick(['', '}}', ',', '\\']), answers: ['BAD_JSON'] };
    }
    case 1: {
      const type = `command.${r.pick(COMMAND_TYPES)}`;
      return { category: 'wrong-types', data: JSON.stringify({ type, commandId: junkValue(r), deviceId: junkValue(r), positionMs: junkValue(r), volumePercent: junkValue(r), state: junkValue(r) }), answers: ANY_ERROR };
    }
    case 2:
      return {
        category: 'huge-numbers',
        data: JSON.stringify({ type: r.pick(['command.seek', 'command.volume']), commandId: `h${r.int(1e9)}`, positionMs: r.pick(HUGE), volumePercent: r.pick(HUGE) }),
        answers: ANY_ERROR,
      };
    case 3: {
      const depth = 1000 + r.int(20_000);
      return { category: 'deep-nesting', data: '['.repeat(depth) + ']'.repeat(depth), answers: ['BAD_JSON', 'BAD_REQUEST', 1009] };
    }
    case 4:
      return { category: 'unknown-type', data: JSON.stringify({ type: r.pick(['device.selfdestruct', 'hub.welcome', 'error', '__proto__', 'constructor', '']), x: junkValue(r) }), answers: ['UNKNOWN_TYPE'] };
    case 5:
      return {
        category: 'wrong-state',
        data: JSON.stringify(
          r.pick([
            { type: 'transfer.ready', transferId: `tr-${r.int(100)}` },
            { type: 'transfer.started', transferId: `tr-${r.int(100)}` },
            { type: 'transfer.failed', transferId: 'tr-1', reason: 'fuzz' },
            { type: 'command.transfer', commandId: `t${r.int(1e9)}`, deviceId: ctx.victimDevice },
            { type: 'command.volume', commandId: `v${r.int(1e9)}`, volumePercent: 5, deviceId: ctx.victimDevice },
            { type: 'command.seek', commandId: `s${r.int(1e9)}`, positionMs: 1000 },
            { type: 'device.hello', protocolVersion: PROTOCOL_VERSION, device: { id: 'again', name: 'again', kind: 'tv', capabilities: { canPlay: true, volumeSteps: 1, mediaTypes: ['audio/track'], controllable: true } } },
          ]),
        ),
        answers: ['BAD_REQUEST', 'result'],
      };
    case 6:
      return { category: 'oversized', data: JSON.stringify({ type: 'command.queue', commandId: 'big', uri: 'x'.repeat(70_000 + r.int(100_000)) }), answers: [1009] };
    case 7:
      return { category: 'binary', data: Buffer.from(Array.from({ length: 1 + r.int(64) }, () => r.int(256))), answers: ['BAD_REQUEST'] };
    default:
      return { category: 'random-json', data: JSON.stringify(junkValue(r)), answers: ANY_ERROR };
  }
}

import { describe, expect, test } from 'vitest';
import { DEFAULT_KIT_SETTINGS } from './context.ts';
import { formatReport } from './report.ts';

describe('the readable report', () => {
  test('names each rule with its CLIENTS.md rule, the failing line of a failed one, and a summary naming it', () => {
    const text = formatReport({
      passed: false,
      device: 'speaker.py',
      deviceId: 'dut-1',
      settings: DEFAULT_KIT_SETTINGS,
      rules: [
        {
          id: 'hello.version',
          clients: 2,
          title: 't',
          pass: true,
          evidence: ['first', 'protocolVersion 1'],
          headline: 'protocolVersion 1',
        },
        {
          id: 'switch.at-T',
          clients: 7,
          title: 't',
          pass: false,
          evidence: ['transfer 1 committed', 'FAIL: start error against T over 3: p50 150 ms'],
        },
      ],
      timing: {
        start: { n: 3, p50: 150, p99: 151, samples: [-150, -150, -151] },
        stop: { n: 0, p50: null, p99: null, samples: [] },
      },
    });
    expect(text).toMatch(/hello\.version\s+rule 2\s+pass\s+protocolVersion 1/);
    expect(text).toMatch(/switch\.at-T\s+rule 7\s+FAIL\s+start error against T over 3/);
    expect(text).toMatch(/start at T: p50 150\.0 ms, p99 151\.0 ms over 3/);
    expect(text).toMatch(/stop at T : not measured/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('FAIL: 1 of 2 rules (switch.at-T)');
  });
});

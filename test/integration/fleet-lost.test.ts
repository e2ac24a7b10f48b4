import { LeanDevice, RawDevice } from '@handoff/device-sim';
import { CloseCode } from '@handoff/protocol';
import { signToken } from '@handoff/server';
import { describe, expect, test } from 'vitest';
import { startTestHub } from '../helpers/start-hub.ts';

/** The fleet counts connections the hub closed by their close code, so a run that loses devices says why. */
describe.each([
  ['a lean device', LeanDevice],
  ['a raw device', RawDevice],
] as const)('%s losing its connection', (_name, Device) => {
  test('a connection the hub closes is reported with its close code; one the device ends itself is not', async () => {
    await using hub = await startTestHub();
    const url = `${hub.wsUrl}?access_token=${await signToken(hub.secret, { userId: 'lost', role: 'device' }, 600)}`;
    const lost: Array<{ id: string; code: number }> = [];
    const onLost = (d: { id: string }, code: number) => lost.push({ id: d.id, code });
    const first = new Device({ url, id: 'speaker', onLost });
    await first.connect();
    // The same device on a new socket: the hub replaces (closes) the first one.
    const second = new Device({ url, id: 'speaker', onLost });
    await second.connect();
    await expect.poll(() => lost).toEqual([{ id: 'speaker', code: CloseCode.REPLACED }]);
    expect(first.connected).toBe(false);
    second.close();
    await expect.poll(() => second.connected).toBe(false);
    expect(lost).toHaveLength(1);
  });
});

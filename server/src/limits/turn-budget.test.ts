import { describe, expect, test } from 'vitest';
import { TurnBudget } from './turn-budget.ts';

/** A budget whose turns end when the test says so. */
function budget(perTurn: number) {
  const pending: Array<() => void> = [];
  const b = new TurnBudget(perTurn, (fn) => pending.push(fn));
  const endTurn = () => pending.splice(0).forEach((fn) => fn());
  return { b, endTurn };
}

describe('turn budget', () => {
  test('each key gets its budget per turn, independently of the others', () => {
    const { b } = budget(2);
    expect([b.take('mallory'), b.take('mallory'), b.take('mallory')]).toEqual([true, true, false]);
    expect(b.take('victim')).toBe(true);
  });

  test('a new turn brings a fresh budget, and work put off runs then, in order', () => {
    const { b, endTurn } = budget(1);
    b.take('mallory');
    const ran: string[] = [];
    b.later(() => ran.push(`first:${b.take('mallory')}`));
    b.later(() => ran.push(`second:${b.take('mallory')}`));
    expect(ran).toEqual([]);
    endTurn();
    expect(ran).toEqual(['first:true', 'second:false']);
  });
});

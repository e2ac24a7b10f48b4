import { useEffect, useRef } from 'react';
import type { Filter } from '../model/filter.ts';
import type { TraceStore } from '../model/store.ts';
import { stepTransition } from './Statechart.tsx';

interface Keys {
  store: TraceStore;
  selectedSeq: number | null;
  visible: number;
  select(seq: number | null, keepFollow?: boolean): void;
  setFollow(on: boolean): void;
  togglePause(): void;
  focusSearch(): void;
  toggleHelp(): void;
  filter: Filter;
  setFilter(f: Filter): void;
}

export const SHORTCUTS: Array<[string, string]> = [
  ['j / ↓', 'next event'],
  ['k / ↑', 'previous event'],
  ['PgDn / PgUp', 'down / up a page'],
  ['g / Home', 'first event'],
  ['G / End', 'last event, and follow'],
  ['f', 'follow the live tail'],
  ['space', 'pause / resume the view'],
  ['/', 'search'],
  ['c', 'only this correlation (again: all)'],
  ['p', 'go to the causal parent'],
  ['n / N', 'next / previous event of this correlation'],
  ['a', 'next problem'],
  ['[ / ]', 'previous / next state transition (statechart)'],
  ['Esc', 'clear selection, leave search'],
  ['?', 'this help'],
];

/** Keyboard navigation over the filtered list; ignored while typing in a field. */
export function useKeyboard(k: Keys): void {
  const ref = useRef(k);
  ref.current = k;
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      const k = ref.current;
      const target = ev.target as HTMLElement | null;
      const typing = target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT');
      if (typing) {
        if (ev.key === 'Escape') target.blur();
        return;
      }
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const { store } = k;
      const list = store.filtered;
      const n = Math.min(k.visible, list.length);
      const pos = k.selectedSeq === null ? -1 : position(list, n, store.indexOfSeq.get(k.selectedSeq) ?? -1);
      const go = (p: number) => {
        if (n === 0) return;
        const clamped = Math.max(0, Math.min(n - 1, p));
        k.select(store.events[list[clamped]!]!.seq);
      };
      const current = k.selectedSeq === null ? undefined : store.eventBySeq(k.selectedSeq);
      switch (ev.key) {
        case 'j':
        case 'ArrowDown':
          go(pos < 0 ? 0 : pos + 1);
          break;
        case 'k':
        case 'ArrowUp':
          go(pos < 0 ? n - 1 : pos - 1);
          break;
        case 'PageDown':
          go(pos + 20);
          break;
        case 'PageUp':
          go(pos - 20);
          break;
        case 'g':
        case 'Home':
          go(0);
          break;
        case 'G':
        case 'End':
          if (n > 0) k.select(store.events[list[n - 1]!]!.seq, true);
          k.setFollow(true);
          break;
        case 'f':
          k.setFollow(true);
          break;
        case ' ':
          k.togglePause();
          break;
        case '/':
          k.focusSearch();
          break;
        case '?':
          k.toggleHelp();
          break;
        case 'Escape':
          k.select(null);
          break;
        case 'c':
          if (k.filter.correlationId) k.setFilter({ ...k.filter, correlationId: '' });
          else if (current?.correlationId) k.setFilter({ ...k.filter, correlationId: current.correlationId });
          break;
        case 'p':
          if (current?.parentSeq !== undefined) k.select(current.parentSeq);
          break;
        case 'n':
        case 'N': {
          if (!current?.correlationId) break;
          const step = ev.key === 'n' ? 1 : -1;
          const from = store.indexOfSeq.get(current.seq)!;
          for (let i = from + step; i >= 0 && i < store.events.length; i += step) {
            if (store.events[i]!.correlationId === current.correlationId) {
              k.select(store.events[i]!.seq);
              break;
            }
          }
          break;
        }
        case '[':
        case ']': {
          const t = stepTransition(store, current ? store.indexOfSeq.get(current.seq) : undefined, ev.key === ']' ? 1 : -1);
          if (t) k.select(t.seq);
          break;
        }
        case 'a': {
          const after = current?.seq ?? 0;
          const next = store.problems.list.find((a) => a.seq > after) ?? store.problems.list[0];
          if (next) k.select(next.seq);
          break;
        }
        default:
          return;
      }
      ev.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** Position of event index `index` within the filtered list (binary search: the list is sorted). */
export function position(list: number[], n: number, index: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = list[mid]!;
    if (v === index) return mid;
    if (v < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return lo - 1;
}

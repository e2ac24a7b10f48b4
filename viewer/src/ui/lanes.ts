import type { TraceStore } from '../model/store.ts';

export const ROW = 22;

/** Lane geometry for the sequence diagram: the hub first, then devices in order of appearance. */
export interface LaneLayout {
  ids: string[];
  width: number;
  step: number;
  x(lane: string | undefined): number;
}

export function laneLayout(store: TraceStore, available: number): LaneLayout {
  const ids = ['hub', ...store.lanes];
  const step = Math.max(34, Math.min(72, Math.floor(available / ids.length)));
  const width = step * ids.length;
  const at = new Map(ids.map((id, i) => [id, i * step + step / 2]));
  return { ids, width, step, x: (lane) => at.get(lane ?? 'hub') ?? step / 2 };
}

/** A device's display name and kind, from the newest world. */
export function deviceLabel(store: TraceStore, id: string): { name: string; kind: string } {
  if (id === 'hub') return { name: 'hub', kind: 'hub' };
  const d = store.world.devices[id];
  return { name: d?.name ?? id, kind: d?.kind ?? '?' };
}

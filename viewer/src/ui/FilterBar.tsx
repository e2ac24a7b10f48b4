import type { RefObject } from 'react';
import { ALL_KINDS, isEmpty, type Filter } from '../model/filter.ts';
import type { TraceStore } from '../model/store.ts';
import type { TraceKind } from '../model/types.ts';
import { corrColor, count, KIND_COLOR, KIND_SHORT } from './format.ts';
import { deviceLabel } from './lanes.ts';

interface Props {
  store: TraceStore;
  filter: Filter;
  setFilter: (f: Filter) => void;
  searchRef: RefObject<HTMLInputElement | null>;
  shown: number;
}

const toggle = <T,>(list: T[], v: T) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);

/** Filters: free text (or /regex/), message type prefix, kinds, devices and a correlation id. */
export function FilterBar({ store, filter, setFilter, searchRef, shown }: Props) {
  const lanes = ['hub', ...store.lanes];
  return (
    <div className="filters">
      <input
        ref={searchRef}
        className="search"
        type="search"
        placeholder="Search what rows show; device: type: code: corr:  ( / )"
        aria-label="Search"
        aria-invalid={store.filterError !== null}
        aria-describedby={store.filterError ? 'search-error' : undefined}
        value={filter.text}
        onChange={(ev) => setFilter({ ...filter, text: ev.target.value })}
      />
      {store.filterError && (
        <span id="search-error" className="search-error" role="alert">
          {store.filterError}
        </span>
      )}
      <input
        className="type"
        placeholder="type prefix"
        aria-label="Message type"
        value={filter.type}
        onChange={(ev) => setFilter({ ...filter, type: ev.target.value })}
        list="types"
      />
      <datalist id="types">
        {[
          'transfer.',
          'command.',
          'cluster.update',
          'hub.welcome',
          'device.hello',
          'clock',
          'prepare',
          'switch-scheduled',
          'committed',
          'rolled-back',
        ].map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <div className="chips kinds" role="group" aria-label="Kinds">
        {ALL_KINDS.map((k: TraceKind) => (
          <button
            key={k}
            className={`chip ${filter.kinds.includes(k) ? 'on' : ''}`}
            aria-pressed={filter.kinds.includes(k)}
            style={{ ['--c' as string]: KIND_COLOR[k] }}
            onClick={() => setFilter({ ...filter, kinds: toggle(filter.kinds, k) })}
            title={k === 'error' ? 'errors and every problem (failed results, rollbacks, refusals, disconnects, silent devices)' : k}
          >
            {KIND_SHORT[k]}
          </button>
        ))}
      </div>
      <div className="chips devices" role="group" aria-label="Devices">
        {lanes.map((id) => (
          <button
            key={id}
            className={`chip ${filter.devices.includes(id) ? 'on' : ''}`}
            aria-pressed={filter.devices.includes(id)}
            onClick={() => setFilter({ ...filter, devices: toggle(filter.devices, id) })}
            title={id}
          >
            {deviceLabel(store, id).name}
          </button>
        ))}
      </div>
      {filter.correlationId && (
        <button
          className="chip on corr"
          style={{ color: corrColor(filter.correlationId), background: corrColor(filter.correlationId, 0.15) }}
          onClick={() => setFilter({ ...filter, correlationId: '' })}
          title="Clear (c)"
        >
          {filter.correlationId} ×
        </button>
      )}
      {!isEmpty(filter) && (
        <button className="clear" onClick={() => setFilter({ devices: [], kinds: [], type: '', correlationId: '', text: '' })}>
          clear · {count(shown)} shown
        </button>
      )}
    </div>
  );
}

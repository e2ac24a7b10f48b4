import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { isEmpty, type Filter } from '../model/filter.ts';
import { DEFAULT_MAX_EVENTS, TraceStore } from '../model/store.ts';
import type { HubInfo } from '../model/types.ts';
import { devToken, fetchInfo, fetchTrace, lookUpUser, type UserLookup } from '../net/api.ts';
import { decodeToken, loadSession, saveSession, type Session } from '../net/auth.ts';
import { useRenewal } from '../net/use-renewal.ts';
import { LiveTrace, type LiveStatus } from '../net/live.ts';
import { download, parseTraceFile, toNdjson } from '../net/trace-file.ts';
import { Detail } from './Detail.tsx';
import { EventList } from './EventList.tsx';
import { FilterBar } from './FilterBar.tsx';
import { Header } from './Header.tsx';
import { HelpOverlay } from './HelpOverlay.tsx';
import { useStore, useThrottled } from './hooks.ts';
import { SidePanels } from './SidePanels.tsx';
import { SignIn } from './SignIn.tsx';
import { StatusBar } from './StatusBar.tsx';
import type { ImportMetrics } from './import-metrics.ts';
import { Timeline } from './Timeline.tsx';
import { readUrl, writeUrl } from './url-state.ts';
import { useKeyboard } from './keyboard.ts';
import { useOlder } from './use-older.ts';

/** Live: how often the side panels follow the store. */
const PANEL_EVERY_MS = 500;

declare global {
  interface Window {
    __handoff?: { store: TraceStore; lastImport: ImportMetrics | null };
  }
}

export function App() {
  const store = useMemo(() => new TraceStore(), []);
  const version = useStore(store);
  const initial = useMemo(readUrl, []);
  const [info, setInfo] = useState<HubInfo | null | 'loading'>('loading');
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [viewUser, setViewUser] = useState<string | null>(null);
  const [status, setStatus] = useState<LiveStatus | null>(null);
  const [selectedSeq, setSelectedSeq] = useState<number | null>(initial.event);
  const [follow, setFollow] = useState(initial.event === null);
  const [paused, setPausedState] = useState(false);
  const [lookup, setLookup] = useState<UserLookup | null>(null);
  const [importError, setImportError] = useState<string | null>(null);
  const [filter, setFilterState] = useState<Filter>(initial.filter);
  const [help, setHelp] = useState(false);
  const [signInError, setSignInError] = useState<string | null>(null);
  const [lastImport, setLastImport] = useState<ImportMetrics | null>(null);
  const live = useRef<LiveTrace | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  window.__handoff = { store, lastImport };

  useEffect(() => {
    store.setFilter(initial.filter);
    void fetchInfo().then(setInfo);
  }, [store, initial]);

  const setPaused = useCallback(
    (on: boolean) => {
      if (on) store.hold();
      else store.release();
      setPausedState(on);
    },
    [store],
  );

  // Older events fetched back from the hub: shown in place of the live view, which only queues meanwhile.
  const onOlderOpen = useCallback(() => {
    setPaused(true);
    setFollow(false);
    setSelectedSeq(null);
  }, [setPaused]);
  const { older, message: olderMessage, fetchOlder, back } = useOlder(store, session?.token ?? null, viewUser, filter, onOlderOpen);
  const olderRef = useRef(older);
  olderRef.current = older;
  const view = older?.store ?? store;
  const backToLive = useCallback(() => {
    back();
    setSelectedSeq(null);
    setPaused(false);
    setFollow(true);
  }, [back, setPaused]);

  const openLive = useCallback(
    (s: Session, userId: string) => {
      live.current?.close();
      store.release();
      store.reset({ kind: 'live', userId });
      store.maxEvents = initial.cap ?? DEFAULT_MAX_EVENTS;
      setPausedState(false);
      setViewUser(userId);
      setSignInError(null);
      setLookup(null);
      // An admin looking up someone else learns whether the hub knows the user at all.
      if (s.role === 'admin' && userId !== s.sub) void lookUpUser(s.token, userId).then(setLookup, () => setLookup(null));
      live.current = new LiveTrace(store, userId, s.token, (st) => {
        setStatus(st);
        if (st.state === 'refused') setSignInError(`The hub refused the trace of ${userId}: ${st.reason}`);
      });
    },
    [store, initial.cap],
  );

  // `?user=demo` in dev mode opens straight to that user; a saved session reopens its user. Once per page load.
  const autoOpened = useRef(false);
  useEffect(() => {
    if (info === 'loading' || store.source.kind !== 'none' || autoOpened.current) return;
    autoOpened.current = true;
    const wanted = initial.user;
    if (session && (!wanted || session.sub === wanted || session.role === 'admin'))
      return openLive(session, wanted ?? session.sub);
    if (info?.devMode && wanted) {
      devToken(wanted, 'viewer')
        .then((token) => {
          const s = decodeToken(token)!;
          saveSession(s);
          setSession(s);
          openLive(s, wanted);
        })
        .catch((err: Error) => setSignInError(err.message));
    }
  }, [info, session, initial, openLive, store]);

  useEffect(() => () => live.current?.close(), []);
  useRenewal(info, session, viewUser, setSignInError);

  const signIn = (s: Session, userId: string) => {
    saveSession(s);
    setSession(s);
    openLive(s, userId);
  };

  const signOut = () => {
    live.current?.close();
    live.current = null;
    saveSession(null);
    setSession(null);
    setViewUser(null);
    setStatus(null);
    store.reset({ kind: 'none' });
  };

  const importFile = useCallback(
    async (file: File) => {
      const t0 = performance.now();
      const text = await file.text();
      const t1 = performance.now();
      const parsed = parseTraceFile(text);
      const t2 = performance.now();
      if (parsed.error) {
        setImportError(`${file.name}: ${parsed.error}`);
        setSignInError(`${file.name}: ${parsed.error}`);
        return;
      }
      setImportError(null);
      live.current?.close();
      live.current = null;
      setStatus(null);
      store.release();
      store.reset({ kind: 'file', name: file.name, userId: parsed.userId });
      store.append(parsed.events);
      const t3 = performance.now();
      setViewUser(parsed.userId);
      setSelectedSeq(null);
      setFollow(false);
      setPausedState(false);
      setLookup(null);
      // The rows are on screen after the next frame is painted.
      requestAnimationFrame(() =>
        setTimeout(() => {
          const m = {
            name: file.name,
            events: parsed.events.length,
            readMs: t1 - t0,
            parseMs: t2 - t1,
            deriveMs: t3 - t2,
            totalMs: performance.now() - t0,
          };
          setLastImport(m);
          window.__handoff = { store, lastImport: m };
        }, 0),
      );
    },
    [store],
  );

  const setFilter = useCallback(
    (f: Filter) => {
      setFilterState(f);
      store.setFilter(f);
      olderRef.current?.store.setFilter(f);
    },
    [store],
  );

  useEffect(() => {
    writeUrl({ user: viewUser ?? initial.user, event: selectedSeq, filter, cap: initial.cap });
  }, [viewUser, selectedSeq, filter, initial.user, initial.cap]);

  const exportNdjson = () => {
    const name = `trace-${viewUser ?? 'unknown'}-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`;
    download(name, toNdjson(store.events));
  };
  const exportFromHub = async (format: 'otlp' | 'chrome') => {
    if (!session || !viewUser) return;
    const text = await fetchTrace(session.token, viewUser, format);
    download(`trace-${viewUser}-${new Date().toISOString().replace(/[:.]/g, '-')}.${format}.json`, text, 'application/json');
  };

  // Paused: arriving events are only queued in the store, so the view holds what had arrived.
  const visible = view.filtered.length;
  const selectedIndex = selectedSeq === null ? undefined : view.indexOfSeq.get(selectedSeq);
  const select = useCallback((seq: number | null, keepFollow = false) => {
    setSelectedSeq(seq);
    if (!keepFollow && seq !== null) setFollow(false);
  }, []);

  const closeHelp = useCallback(() => setHelp(false), []);

  useKeyboard({
    store: view,
    selectedSeq,
    visible,
    select,
    setFollow,
    togglePause: () => setPaused(!paused),
    focusSearch: () => searchRef.current?.focus(),
    toggleHelp: () => setHelp((h) => !h),
    filter,
    setFilter,
  });

  const serverNow = useCallback(
    () => (live.current ? live.current.serverNow() : (store.events[store.events.length - 1]?.ts ?? Date.now())),
    [store],
  );
  const selectSeq = useCallback((seq: number) => select(seq), [select]);
  const filterCorr = useCallback((id: string) => setFilter({ ...filter, correlationId: id }), [filter, setFilter]);
  // Live, the side panels follow the store at most twice a second (the list and timeline faster).
  const panelVersion = useThrottled(version, store.source.kind === 'live' && !paused ? PANEL_EVERY_MS : 0);

  if (store.source.kind === 'none') {
    return (
      <SignIn
        info={info}
        session={session}
        defaultUser={initial.user}
        error={signInError}
        onSignIn={signIn}
        onImport={(f) => void importFile(f)}
        onError={setSignInError}
      />
    );
  }

  const canControl = Boolean(session && store.source.kind === 'live' && viewUser && session.sub === viewUser);
  return (
    <div className="app" data-version={version}>
      <Header
        store={store}
        session={session}
        viewUser={viewUser}
        status={status}
        follow={follow}
        paused={paused}
        onFollow={() => {
          setFollow(true);
          setPaused(false);
        }}
        onPause={() => setPaused(!paused)}
        onExportNdjson={exportNdjson}
        onExportHub={(f) => void exportFromHub(f)}
        onImport={(f) => void importFile(f)}
        onSwitchUser={(u) => session && openLive(session, u)}
        onSignOut={signOut}
        onHelp={() => setHelp(true)}
      />
      <FilterBar store={view} filter={filter} setFilter={setFilter} searchRef={searchRef} shown={visible} />
      <Timeline
        store={view}
        version={version}
        selectedSeq={selectedSeq}
        onSelect={(seq) => select(seq)}
        serverNow={serverNow}
        live={view.source.kind === 'live'}
      />
      <main className="body">
        <SidePanels
          store={view}
          version={panelVersion}
          session={session}
          canControl={canControl}
          serverNow={serverNow}
          live={store.source.kind === 'live' && !paused}
          onSelect={selectSeq}
          onFilterCorr={filterCorr}
          selectedIndex={selectedIndex}
        />
        <EventList
          store={view}
          version={version}
          count={visible}
          selectedSeq={selectedSeq}
          onSelect={(seq) => select(seq)}
          follow={follow}
          setFollow={setFollow}
          filtered={!isEmpty(filter)}
          lookup={lookup}
          older={older ? { note: older.note, onBack: backToLive } : null}
          olderMessage={olderMessage}
          onFetchOlder={session && store.source.kind === 'live' ? () => void fetchOlder() : null}
        />
        <Detail
          store={view}
          version={version}
          index={selectedIndex}
          selectedSeq={selectedSeq}
          onSelect={(seq) => select(seq)}
          onFilterCorr={(id) => setFilter({ ...filter, correlationId: id })}
          onClose={() => select(null)}
          serverNow={serverNow}
        />
      </main>
      <StatusBar store={store} status={status} lastImport={lastImport} serverNow={serverNow} />
      {help && <HelpOverlay onClose={closeHelp} />}
      {importError && (
        <div className="toast error" role="alert">
          {importError} <button onClick={() => setImportError(null)}>Dismiss</button>
        </div>
      )}
      {signInError && store.source.kind === 'live' && status?.state === 'refused' && (
        <div className="toast error" role="alert">
          {signInError} <button onClick={signOut}>Sign in again</button>
        </div>
      )}
    </div>
  );
}

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { TraceNote } from '@handoff/protocol';
import { chromium } from '@playwright/test';
import { parseConfig, startHub } from '@handoff/server';
import { ensureViewerBuilt } from '../../viewer/build-if-stale.ts';
import { generateTrace } from './gen-trace.ts';

/**
 * How the viewer keeps up with a busy user, in Debian's Chromium: a real hub (in this process)
 * records `--rate` events/s into one user's trace (household traffic from gen-trace.ts, cycled),
 * the viewer follows it live for `--seconds`, then is paused for `--pause` seconds. In the page a
 * PerformanceObserver collects long tasks; a frame counter gives fps; every 200 ms the newest row
 * on screen is compared with the wall clock (the lag); the JS heap is sampled.
 *
 *   flock /tmp/bench.lock npx tsx test/browser/measure-live.ts [--rate 1500] [--seconds 60] [--pause 10] [--dist DIR]
 *
 * `--dist` serves another build of the viewer (to measure a before/after in one run). A benchmark,
 * not a test: it prints numbers and asserts nothing.
 */
const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '1500' },
    seconds: { type: 'string', default: '60' },
    pause: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    dist: { type: 'string' },
    /** Write a CPU profile of the follow phase (Chrome DevTools format) to this file. */
    profile: { type: 'string' },
    /** Write a DevTools timeline trace of the follow phase (style, layout, paint, scripts) to this file. */
    trace: { type: 'string' },
  },
});
const rate = Number(args.rate);
const seconds = Number(args.seconds);
const pauseSeconds = Number(args.pause);
const warmup = Number(args.warmup);

if (!args.dist) await ensureViewerBuilt();
const running = await startHub(parseConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }), {
  ...(args.dist ? { viewerDir: args.dist } : {}),
});
// One household trace long enough for the whole run (cycling one would send revisions backwards).
// The hub stamps each event with its own time; the times inside payloads (deadlines, switch times,
// timers) are moved by as much, so transfers resolve before their deadlines as they did.
const generated = generateTrace(Math.ceil(rate * (seconds + pauseSeconds + warmup + 30)), 'busy');
const TIME_FIELDS = new Set(['at', 'atServerTime', 'deadline', 'serverTime']);
const shift = (v: unknown, by: number): unknown => {
  if (Array.isArray(v)) return v.map((x) => shift(x, by));
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, TIME_FIELDS.has(k) && typeof x === 'number' ? x + by : shift(x, by)]));
};
let fed = 0;
const started = performance.now();
const feeder = setInterval(() => {
  const due = Math.min(generated.length, Math.floor(((performance.now() - started) / 1000) * rate));
  for (; fed < due; fed++) {
    const { seq: _s, ts, userId: _u, ...note } = generated[fed]!;
    running.hub.trace.record('busy', { ...note, payload: shift(note.payload, Date.now() - ts) } as TraceNote);
  }
}, 10);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

/** Long tasks, frames, and every 200 ms the lag of the newest row on screen and the heap. */
const INSTRUMENT = `
  const perf = { longtasks: [], frames: [], samples: [] };
  window.__perf = perf;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) perf.longtasks.push({ start: e.startTime, dur: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  requestAnimationFrame(function frame(t) {
    perf.frames.push(t);
    requestAnimationFrame(frame);
  });
  setInterval(function sample() {
    const h = window.__handoff;
    let newest = 0;
    document.querySelectorAll('.rows .row').forEach(function (row) { newest = Math.max(newest, Number(row.dataset.seq)); });
    const e = newest && h ? h.store.eventBySeq(newest) : undefined;
    const memory = performance.memory;
    perf.samples.push({
      at: performance.now(),
      lagMs: e ? Date.now() - e.ts : null,
      heapMb: memory ? memory.usedJSHeapSize / 1048576 : null,
      events: h ? h.store.events.length : 0,
      following: document.querySelector('.scroller.tail') !== null,
    });
  }, 200);
`;

interface Sample {
  at: number;
  lagMs: number | null;
  heapMb: number | null;
  events: number;
  following: boolean;
}
interface Perf {
  longtasks: Array<{ start: number; dur: number }>;
  frames: number[];
  samples: Sample[];
}

try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // A string, not a function: the page must not see the helpers tsx adds to compiled functions.
  await page.addInitScript(INSTRUMENT);
  await page.goto(`${running.url}/?user=busy`);
  await page.getByTestId('live-state').waitFor();
  await page.waitForTimeout(warmup * 1000);
  const cdp = args.profile || args.trace ? await page.context().newCDPSession(page) : null;
  if (cdp && args.profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  const traceChunks: unknown[] = [];
  let traceDone: Promise<void> | null = null;
  if (cdp && args.trace) {
    cdp.on('Tracing.dataCollected', (m) => traceChunks.push(...m.value));
    traceDone = new Promise((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
    await cdp.send('Tracing.start', { categories: 'devtools.timeline,v8.execute,blink.user_timing,disabled-by-default-devtools.timeline.stack', transferMode: 'ReportEvents' });
  }
  const t0 = await page.evaluate(() => performance.now());
  await page.waitForTimeout(seconds * 1000);
  const t1 = await page.evaluate(() => performance.now());
  if (cdp && args.profile) {
    const { profile } = await cdp.send('Profiler.stop');
    writeFileSync(args.profile, JSON.stringify(profile));
  }
  if (cdp && args.trace) {
    await cdp.send('Tracing.end');
    await traceDone;
    writeFileSync(args.trace, JSON.stringify({ traceEvents: traceChunks }));
  }
  await page.keyboard.press(' ');
  await page.waitForTimeout(pauseSeconds * 1000);
  const t2 = await page.evaluate(() => performance.now());
  const perf = await page.evaluate(() => (window as unknown as { __perf: Perf }).__perf);
  process.stderr.write(`collected ${perf.frames.length} frames, ${perf.samples.length} samples, ${perf.longtasks.length} long tasks\n`);
  const cap = await page.evaluate(() => {
    const s = (window as unknown as { __handoff: { store: { events: unknown[]; dropped: { count: number } | null; held: unknown[] | null } } }).__handoff.store;
    return { held: s.events.length, dropped: s.dropped?.count ?? 0, queuedWhilePaused: s.held?.length ?? 0 };
  });

  const window10 = (from: number, to: number) => {
    const tasks = perf.longtasks.filter((t) => t.start >= from && t.start < to);
    const windows: number[] = [];
    for (let w = from; w + 10_000 <= to + 1; w += 10_000) windows.push(tasks.filter((t) => t.start >= w && t.start < w + 10_000).length);
    const frames = perf.frames.filter((f) => f >= from && f < to).length;
    return {
      longTasks: tasks.length,
      perTenSecondsMax: Math.max(0, ...windows),
      perTenSeconds: windows,
      worstMs: Math.round(Math.max(0, ...tasks.map((t) => t.dur))),
      over100ms: tasks.filter((t) => t.dur > 100).length,
      fps: Math.round((frames / ((to - from) / 1000)) * 10) / 10,
    };
  };
  const followSamples = perf.samples.filter((s) => s.at >= t0 && s.at < t1);
  const lags = perf.samples.filter((s) => s.at >= t0 && s.at < t1 && s.lagMs !== null).map((s) => s.lagMs!).sort((a, b) => a - b);
  const q = (p: number) => Math.round(lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] ?? NaN);
  const heap = perf.samples.filter((s) => s.at >= t0 && s.heapMb !== null).map((s) => s.heapMb!);
  const report = {
    rate,
    seconds,
    fed,
    follow: {
      ...window10(t0, t1),
      // Share of samples in which the list was in its tail (follow) mode: it must be 1.
      followingShare: Math.round((followSamples.filter((s) => s.following).length / Math.max(1, followSamples.length)) * 1000) / 1000, lagMs: { p50: q(0.5), p95: q(0.95), max: Math.round(lags.at(-1) ?? NaN) } },
    paused: window10(t1, t2),
    heapMb: { start: Math.round(heap[0] ?? NaN), end: Math.round(heap.at(-1) ?? NaN), max: Math.round(Math.max(...heap)) },
    cap,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  clearInterval(feeder);
  await browser.close();
  await running.close();
}

import { CloseCode, ErrorCode } from '@handoff/protocol';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Metrics, PartitionChange, RefusalSource } from './metrics.ts';
import { CounterFamily, HistogramFamily, type CounterSeries, type HistogramSeries } from './series.ts';

const LATENCY_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const GAP_S = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1];
const CLOCK_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];
const REDIS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Process metrics (CPU, memory, event-loop lag, GC): one set per process, however many hubs it runs. */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** What the gauges read at scrape time. */
export interface HubGauges {
  readonly deviceCount: number;
  readonly sessionCount: number;
  readonly draining: boolean;
}

/**
 * The hub's metrics in the Prometheus text format. Hot-path counters and histograms are the
 * allocation-free series of `series.ts`, one per label value made here at start; gauges are
 * prom-client gauges read when scraped; process metrics (including `nodejs_eventloop_lag_*`)
 * are prom-client's defaults.
 */
export class PromMetrics implements Metrics {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly registry = new Registry();
  private readonly families: Array<CounterFamily | HistogramFamily> = [];
  private readonly commands: ByCode;
  private readonly commandLatency: { ok: HistogramSeries; refused: HistogramSeries };
  private readonly transfers: ByCode;
  private readonly transferLatency: { committed: HistogramSeries; rolledBack: HistogramSeries };
  private readonly gaps: Record<'reported' | 'arrival', { gap: HistogramSeries; overlap: HistogramSeries }>;
  private readonly clockError: HistogramSeries;
  private readonly refusals: Record<RefusalSource, ByCode>;
  private readonly closes = new Map<number, CounterSeries>();
  private readonly otherClose: CounterSeries;
  private readonly rtt: HistogramSeries;
  private readonly partitionChanges: Record<PartitionChange, CounterSeries>;
  private readonly sockets = new Map<string, number>();
  private readonly behind: CounterSeries;
  private readonly crossed: Record<'http' | 'device', CounterSeries>;

  constructor() {
    const commands = this.counter('handoff_commands_total', 'Commands answered, by result code (ok or the refusal).');
    this.commands = new ByCode(commands, {}, ['ok']);
    const commandLatency = this.histogram('handoff_command_duration_seconds', 'From a command arriving to its result.', LATENCY_S);
    this.commandLatency = { ok: commandLatency.series({ outcome: 'ok' }), refused: commandLatency.series({ outcome: 'refused' }) };

    const transfers = this.counter('handoff_transfers_total', 'Transfers that reached the prepare phase, by how they ended (ok: committed; else the rollback code).');
    this.transfers = new ByCode(transfers, {}, ['ok']);
    const transferLatency = this.histogram('handoff_transfer_duration_seconds', 'From a transfer starting (prepare) to its commit or rollback.', LATENCY_S);
    this.transferLatency = { committed: transferLatency.series({ outcome: 'committed' }), rolledBack: transferLatency.series({ outcome: 'rolled_back' }) };

    const gap = this.histogram(
      'handoff_switch_gap_seconds',
      'How far from the scheduled switch time the target started: kind="gap" when late (silence), "overlap" when early (both audible). measured="reported" from the start time the device reports, "arrival" from when its transfer.started arrived (devices that do not report; includes the delay back).',
      GAP_S,
    );
    const gapPair = (measured: string) => ({ gap: gap.series({ kind: 'gap', measured }), overlap: gap.series({ kind: 'overlap', measured }) });
    this.gaps = { reported: gapPair('reported'), arrival: gapPair('arrival') };

    this.clockError = this.histogram('handoff_clock_sync_error_seconds', 'Error bound of device clock estimates, observed when an estimate changes.', CLOCK_S).series();

    const refusals = this.counter('handoff_refusals_total', 'Frames and requests refused at the edge (validation, rate limit, auth), by source and code.');
    this.refusals = {
      device: new ByCode(refusals, { source: 'device' }), http: new ByCode(refusals, { source: 'http' }), upgrade: new ByCode(refusals, { source: 'upgrade' }),
      accept: new ByCode(refusals, { source: 'accept' }),
    };

    const closes = this.counter('handoff_device_disconnects_total', 'Device sockets the hub closed, by close code name (KICKED, HEARTBEAT_TIMEOUT, ...).');
    for (const [name, code] of Object.entries(CloseCode)) this.closes.set(code, closes.series({ code: name }));
    this.otherClose = closes.series({ code: 'OTHER' });

    this.rtt = this.histogram('handoff_redis_rtt_seconds', 'Redis round trips (only with Redis).', REDIS_S).series();
    const partitionChanges = this.counter(
      'handoff_partition_changes_total',
      "Partitions this node acquired (free), took over (another node's lease lapsed), released (handed over) or lost (taken while held) (only with Redis).",
    );
    const changed = (change: PartitionChange) => partitionChanges.series({ change });
    this.partitionChanges = { acquired: changed('acquired'), 'taken-over': changed('taken-over'), released: changed('released'), lost: changed('lost') };

    const crossed = this.counter('handoff_commands_crossed_nodes_total', "Commands that arrived on this node and were sent on to the node owning the user's partition, by where they came from (http, device). Near 0 once owner affinity has settled.");
    this.crossed = { http: crossed.series({ via: 'http' }), device: crossed.series({ via: 'device' }) };

    this.behind = this.counter('handoff_trace_viewers_behind_total', 'Times a viewer could not keep up with its trace socket (its queue passed the high-water mark): the stream fell back to reading the ring.').series();

    const sockets = this.sockets;
    new Gauge({
      name: 'handoff_sockets_open',
      help: 'Open WebSocket connections by endpoint (/v1/connect: devices, including before their hello; /v1/trace: viewers).',
      labelNames: ['endpoint'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [endpoint, open] of sockets) this.set({ endpoint }, open);
      },
    });
  }

  /** A gauge read when scraped. */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  commandCrossedNodes(via: 'http' | 'device'): void {
    this.crossed[via].inc();
  }

  viewerFellBehind(): void {
    this.behind.inc();
  }

  /** Everything, in the Prometheus text format. */
  async render(): Promise<string> {
    const own = this.families.map((f) => f.render()).join('\n');
    return `${own}\n${await this.registry.metrics()}\n${await processMetrics().metrics()}`;
  }

  commandDone(code: string, ms: number | undefined): void {
    this.commands.get(code).inc();
    if (ms !== undefined) (code === 'ok' ? this.commandLatency.ok : this.commandLatency.refused).observe(ms / 1000);
  }

  transferDone(code: string, ms: number | undefined): void {
    this.transfers.get(code).inc();
    if (ms !== undefined) (code === 'ok' ? this.transferLatency.committed : this.transferLatency.rolledBack).observe(ms / 1000);
  }

  switchLateness(ms: number, measured: 'reported' | 'arrival'): void {
    const pair = this.gaps[measured];
    if (ms >= 0) pair.gap.observe(ms / 1000);
    else pair.overlap.observe(-ms / 1000);
  }

  clockEstimate(errorMs: number): void {
    this.clockError.observe(errorMs / 1000);
  }

  refused(source: RefusalSource, code: string): void {
    this.refusals[source].get(code).inc();
  }

  deviceClosed(code: number): void {
    (this.closes.get(code) ?? this.otherClose).inc();
  }

  socketOpened(endpoint: string): void {
    this.sockets.set(endpoint, (this.sockets.get(endpoint) ?? 0) + 1);
  }

  socketClosed(endpoint: string): void {
    this.sockets.set(endpoint, (this.sockets.get(endpoint) ?? 1) - 1);
  }

  redisRtt(ms: number): void {
    this.rtt.observe(ms / 1000);
  }

  partitionsChanged(change: PartitionChange, count: number): void {
    this.partitionChanges[change].inc(count);
  }

  private counter(name: string, help: string): CounterFamily {
    const family = new CounterFamily(name, help);
    this.families.push(family);
    return family;
  }

  private histogram(name: string, help: string, bounds: readonly number[]): HistogramFamily {
    const family = new HistogramFamily(name, help, bounds);
    this.families.push(family);
    return family;
  }
}

/** The hub's gauges: registered devices, open sessions, draining. */
export function addHubGauges(metrics: PromMetrics, hub: HubGauges): void {
  metrics.gauge('handoff_devices_connected', 'Devices connected to this node that completed their hello.', () => hub.deviceCount);
  metrics.gauge('handoff_sessions_open', 'User sessions open on this node.', () => hub.sessionCount);
  metrics.gauge('handoff_draining', '1 while this node drains (not ready for new traffic), else 0.', () => (hub.draining ? 1 : 0));
}

const KNOWN_CODES = new Set<string>(['ok', ...Object.values(ErrorCode)]);

/**
 * A counter's series by result code, each made the first time its code occurs (then a property
 * lookup). Codes outside the protocol's count as INTERNAL, so the label set stays bounded.
 */
class ByCode {
  private readonly series: Record<string, CounterSeries> = Object.create(null) as Record<string, CounterSeries>;
  constructor(
    private readonly family: CounterFamily,
    private readonly labels: Record<string, string>,
    upfront: string[] = [],
  ) {
    for (const code of upfront) this.get(code);
  }

  get(code: string): CounterSeries {
    const known = this.series[code];
    if (known) return known;
    const label = KNOWN_CODES.has(code) ? code : 'INTERNAL';
    return (this.series[code] = this.family.series({ ...this.labels, code: label }));
  }
}

/**
 * Counters and histograms cheap enough for the hub's hot path: a series is made once, at setup,
 * for fixed label values, and recording into it is an addition (no label hashing, no strings, no
 * allocation, unlike prom-client's labelled metrics). The families render themselves in the
 * Prometheus text format at scrape time.
 */

/** Label names and values of one series, fixed when the series is made. */
export type Labels = Readonly<Record<string, string>>;

export class CounterSeries {
  value = 0;
  constructor(readonly labels: string) {}

  inc(by = 1): void {
    this.value += by;
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative; made cumulative when rendered). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i] = this.counts[i]! + 1;
    this.sum += value;
    this.count++;
  }
}

abstract class Family<S extends { labels: string }> {
  protected readonly all = new Map<string, S>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The series for `labels`, made on first use: call at setup, keep the result for the hot path. */
  series(labels: Labels = {}): S {
    const key = formatLabels(labels);
    let s = this.all.get(key);
    if (!s) this.all.set(key, (s = this.make(key)));
    return s;
  }

  protected abstract make(labels: string): S;
  abstract render(): string;

  protected header(type: string): string {
    return `# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${this.name} ${type}\n`;
  }
}

export class CounterFamily extends Family<CounterSeries> {
  protected make(labels: string): CounterSeries {
    return new CounterSeries(labels);
  }

  render(): string {
    let out = this.header('counter');
    for (const s of this.all.values()) out += `${this.name}${wrap(s.labels)} ${s.value}\n`;
    return out;
  }
}

export class HistogramFamily extends Family<HistogramSeries> {
  /** `bounds`: upper bounds of the buckets, ascending (+Inf is added). */
  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
  ) {
    super(name, help);
  }

  protected make(labels: string): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }

  render(): string {
    let out = this.header('histogram');
    for (const s of this.all.values()) {
      const sep = s.labels ? ',' : '';
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        out += `${this.name}_bucket{${s.labels}${sep}le="${le}"} ${cumulative}\n`;
      });
      out += `${this.name}_bucket{${s.labels}${sep}le="+Inf"} ${s.count}\n`;
      out += `${this.name}_sum${wrap(s.labels)} ${s.sum}\n`;
      out += `${this.name}_count${wrap(s.labels)} ${s.count}\n`;
    }
    return out;
  }
}

function formatLabels(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

const wrap = (labels: string) => (labels ? `{${labels}}` : '');

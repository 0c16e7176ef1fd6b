// A small Prometheus metrics registry: counters, gauges and histograms with labels, rendered in
// the text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
// Written here rather than taken from prom-client: the gateway needs four metric families and
// no dependency is installed for it. Series are kept in a Map per family keyed by the joined
// label values, so an observation costs one Map lookup and no allocation once a series exists.

/** `text/plain; version=0.0.4` — what Prometheus expects from a scrape of this format. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values: backslash, double quote and line feed are escaped (exposition format). */
export const escapeLabel = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
/** HELP text: backslash and line feed are escaped. */
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** Go's strconv formatting, as Prometheus clients write values: +Inf, -Inf, NaN. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

abstract class Family<S> {
  protected readonly series = new Map<string, { labels: string[]; s: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    for (const l of labelNames)
      if (!LABEL.test(l) || l.startsWith('__') || l === 'le')
        throw new Error(`invalid label name ${l} on ${name}`);
  }

  protected abstract fresh(): S;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  /** The series for these label values (created on first use). */
  protected get(values: readonly string[]): S {
    if (values.length !== this.labelNames.length)
      throw new Error(`${this.name}: expected ${this.labelNames.length} label values`);
    const key = values.length === 1 ? values[0] : values.join('\u0000');
    let e = this.series.get(key);
    if (!e) {
      e = { labels: [...values], s: this.fresh() };
      this.series.set(key, e);
    }
    return e.s;
  }

  protected labelText(values: readonly string[], extra?: [string, string]): string {
    const parts = values.map((v, i) => `${this.labelNames[i]}="${escapeLabel(v)}"`);
    if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
    return parts.length ? `{${parts.join(',')}}` : '';
  }

  protected abstract samples(labels: string[], s: S, out: string[]): void;

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const { labels, s } of this.series.values()) this.samples(labels, s, out);
  }
}

export class Counter extends Family<{ v: number }> {
  readonly type = 'counter';
  protected fresh(): { v: number } {
    return { v: 0 };
  }
  inc(values: readonly string[] = [], by = 1): void {
    if (by < 0) throw new Error(`${this.name}: a counter only goes up`);
    this.get(values).v += by;
  }
  value(values: readonly string[] = []): number {
    return this.get(values).v;
  }
  protected samples(labels: string[], s: { v: number }, out: string[]): void {
    out.push(`${this.name}${this.labelText(labels)} ${formatValue(s.v)}`);
  }
}

export class Gauge extends Family<{ v: number }> {
  readonly type = 'gauge';
  protected fresh(): { v: number } {
    return { v: 0 };
  }
  set(values: readonly string[], v: number): void {
    this.get(values).v = v;
  }
  /** Drops every series (for info gauges whose label changes, e.g. a policy revision). */
  reset(): void {
    this.series.clear();
  }
  protected samples(labels: string[], s: { v: number }, out: string[]): void {
    out.push(`${this.name}${this.labelText(labels)} ${formatValue(s.v)}`);
  }
}

interface HistogramSeries {
  counts: Float64Array;
  sum: number;
  count: number;
}

export class Histogram extends Family<HistogramSeries> {
  readonly type = 'histogram';
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    /** Upper bounds, ascending; +Inf is implied. */
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
    for (let i = 1; i < buckets.length; i++)
      if (!(buckets[i] > buckets[i - 1])) throw new Error(`${name}: buckets must ascend`);
  }
  protected fresh(): HistogramSeries {
    return { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
  }
  observe(values: readonly string[], v: number): void {
    const s = this.get(values);
    // Non-cumulative counts here; render() accumulates (cheaper per observation).
    const i = this.buckets.findIndex((b) => v <= b);
    if (i >= 0) s.counts[i]++;
    s.sum += v;
    s.count++;
  }
  protected samples(labels: string[], s: HistogramSeries, out: string[]): void {
    let acc = 0;
    this.buckets.forEach((b, i) => {
      acc += s.counts[i];
      out.push(`${this.name}_bucket${this.labelText(labels, ['le', formatValue(b)])} ${acc}`);
    });
    out.push(`${this.name}_bucket${this.labelText(labels, ['le', '+Inf'])} ${s.count}`);
    out.push(`${this.name}_sum${this.labelText(labels)} ${formatValue(s.sum)}`);
    out.push(`${this.name}_count${this.labelText(labels)} ${s.count}`);
  }
}

export class Registry {
  private readonly families: Array<{ name: string; render(out: string[]): void }> = [];

  private add<F extends { name: string; render(out: string[]): void }>(f: F): F {
    if (this.families.some((x) => x.name === f.name))
      throw new Error(`metric ${f.name} registered twice`);
    this.families.push(f);
    return f;
  }
  counter(name: string, help: string, labels: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labels));
  }
  gauge(name: string, help: string, labels: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labels));
  }
  histogram(name: string, help: string, labels: readonly string[], buckets: number[]): Histogram {
    return this.add(new Histogram(name, help, labels, buckets));
  }

  /** The exposition text of every family, newline-terminated. */
  render(): string {
    const out: string[] = [];
    for (const f of this.families) f.render(out);
    return out.length ? `${out.join('\n')}\n` : '';
  }
}

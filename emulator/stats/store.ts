// The emulator's stats store: counters, gauges and histograms by full stat name, as Envoy's store holds them
// ("wasmcustom.<name>" for Wasm-defined metrics). Values are uint64 like Envoy's (Counter::add, Gauge::add/sub/set
// in source/common/stats/allocator_impl.cc wrap modulo 2^64).

import { LogLinearHistogram, DEFAULT_HISTOGRAM_BUCKETS, type HistogramStatistics } from "./histogram.ts";

const u64 = (v: bigint) => BigInt.asUintN(64, v);

export class Counter {
  private current = 0n;
  constructor(readonly name: string) {}
  add(amount: bigint): void {
    this.current = u64(this.current + amount);
  }
  inc(): void {
    this.add(1n);
  }
  value(): bigint {
    return this.current;
  }
}

export class Gauge {
  private current = 0n;
  constructor(readonly name: string) {}
  add(amount: bigint): void {
    this.current = u64(this.current + amount);
  }
  sub(amount: bigint): void {
    this.current = u64(this.current - amount);
  }
  set(value: bigint): void {
    this.current = u64(value);
  }
  value(): bigint {
    return this.current;
  }
}

export class Histogram {
  /** Every sample recorded so far (Envoy's cumulative histogram, as after a stats flush). */
  readonly samples = new LogLinearHistogram();
  constructor(readonly name: string) {}
  record(value: bigint): void {
    this.samples.insert(u64(value));
  }
  /** Bucket counts, sample count and approximate sum as Envoy reports them. */
  statistics(buckets: readonly number[] = DEFAULT_HISTOGRAM_BUCKETS): HistogramStatistics {
    return this.samples.statistics(buckets);
  }
}

export type Metric = { type: "counter"; metric: Counter } | { type: "gauge"; metric: Gauge } | { type: "histogram"; metric: Histogram };

export class StatsStore {
  private readonly counterMap = new Map<string, Counter>();
  private readonly gaugeMap = new Map<string, Gauge>();
  private readonly histogramMap = new Map<string, Histogram>();

  /** Get or create the counter with this full name. */
  counter(name: string): Counter {
    let c = this.counterMap.get(name);
    if (!c) this.counterMap.set(name, (c = new Counter(name)));
    return c;
  }

  /** Get or create the gauge with this full name. */
  gauge(name: string): Gauge {
    let g = this.gaugeMap.get(name);
    if (!g) this.gaugeMap.set(name, (g = new Gauge(name)));
    return g;
  }

  /** Get or create the histogram with this full name. */
  histogram(name: string): Histogram {
    let h = this.histogramMap.get(name);
    if (!h) this.histogramMap.set(name, (h = new Histogram(name)));
    return h;
  }

  counters(): Counter[] {
    return [...this.counterMap.values()];
  }
  gauges(): Gauge[] {
    return [...this.gaugeMap.values()];
  }
  histograms(): Histogram[] {
    return [...this.histogramMap.values()];
  }

  /** Look a stat up without creating it (counters first, then gauges, then histograms). */
  find(name: string): Metric | undefined {
    const c = this.counterMap.get(name);
    if (c) return { type: "counter", metric: c };
    const g = this.gaugeMap.get(name);
    if (g) return { type: "gauge", metric: g };
    const h = this.histogramMap.get(name);
    if (h) return { type: "histogram", metric: h };
    return undefined;
  }
}

// Custom metric hostcalls (envoy source/extensions/common/wasm/context.cc defineMetric/incrementMetric/
// recordMetric/getMetric) over the emulator's stats store. Ids are per VM: counters 4, 8, 12…, gauges 5, 9, 13…,
// histograms 6, 10, 14… (proxy-wasm-cpp-host include/proxy-wasm/wasm.h next*MetricId, low 2 bits = type).
import { WasmResult, MetricType } from "./constants.ts";
import { WASM_CUSTOM_STAT_NAMESPACE, type StatsStore, type Counter, type Gauge, type Histogram } from "./stats/index.ts";

/** What a Wasm module's metric names are prefixed with (envoyproxy/envoy:source/extensions/common/wasm/context.cc defineMetric). */
export const CUSTOM_STAT_PREFIX = WASM_CUSTOM_STAT_NAMESPACE + ".";

export class MetricIds {
  private nextCounter = MetricType.Counter;
  private nextGauge = MetricType.Gauge;
  private nextHistogram = MetricType.Histogram;
  readonly counters = new Map<number, Counter>();
  readonly gauges = new Map<number, Gauge>();
  readonly histograms = new Map<number, Histogram>();

  define(store: StatsStore, type: number, name: string): { result: number; id: number } {
    if (type > MetricType.Histogram) return { result: WasmResult.BadArgument, id: 0 };
    const full = CUSTOM_STAT_PREFIX + name;
    if (type === MetricType.Counter) {
      const id = (this.nextCounter += 4);
      this.counters.set(id, store.counter(full));
      return { result: WasmResult.Ok, id };
    }
    if (type === MetricType.Gauge) {
      const id = (this.nextGauge += 4);
      this.gauges.set(id, store.gauge(full));
      return { result: WasmResult.Ok, id };
    }
    const id = (this.nextHistogram += 4);
    this.histograms.set(id, store.histogram(full));
    return { result: WasmResult.Ok, id };
  }

  increment(id: number, offset: bigint): number {
    const type = id & 3;
    if (type === MetricType.Counter) {
      const c = this.counters.get(id);
      if (!c) return WasmResult.NotFound;
      if (offset > 0n) { c.add(offset); return WasmResult.Ok; }
      return WasmResult.BadArgument;
    }
    if (type === MetricType.Gauge) {
      const g = this.gauges.get(id);
      if (!g) return WasmResult.NotFound;
      if (offset > 0n) g.add(offset); else g.sub(-offset);
      return WasmResult.Ok;
    }
    return WasmResult.BadArgument;
  }

  record(id: number, value: bigint): number {
    const type = id & 3;
    const v = BigInt.asUintN(64, value);
    if (type === MetricType.Counter) {
      const c = this.counters.get(id);
      if (c) { c.add(v); return WasmResult.Ok; }
    } else if (type === MetricType.Gauge) {
      const g = this.gauges.get(id);
      if (g) { g.set(v); return WasmResult.Ok; }
    } else if (type === MetricType.Histogram) {
      const h = this.histograms.get(id);
      if (h) { h.record(v); return WasmResult.Ok; }
    }
    return WasmResult.NotFound;
  }

  get(id: number): { result: number; value: bigint } {
    const type = id & 3;
    if (type === MetricType.Counter) {
      const c = this.counters.get(id);
      return c ? { result: WasmResult.Ok, value: c.value() } : { result: WasmResult.NotFound, value: 0n };
    }
    if (type === MetricType.Gauge) {
      const g = this.gauges.get(id);
      return g ? { result: WasmResult.Ok, value: g.value() } : { result: WasmResult.NotFound, value: 0n };
    }
    return { result: WasmResult.BadArgument, value: 0n };
  }
}

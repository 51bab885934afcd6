// Custom metrics. Envoy names them "wasmcustom.<name>" (Prometheus strips "wasmcustom." and adds no "envoy_").
// Define each metric once, in onVmStart/onConfigure (host calls are not allowed at module top level), keep the
// object in a field, then update it per request: one host call per update, no allocation.
// Istio-style dimensions are encoded in the name ("reporter=.=destination;.;istio_requests_total") and cut out
// by the bootstrap's stats_tags.
import { MetricType, WasmResult } from "./types";
import { defineMetric, getMetric, incrementMetric, recordMetric } from "./hostcalls";

export class Counter {
  /** 0 when the definition failed (updates then return NotFound). */
  readonly id: u32;
  constructor(public readonly name: string) {
    this.id = defineMetric(MetricType.Counter, name);
  }
  /** delta must be > 0 (Envoy: BadArgument otherwise). */
  increment(delta: i64 = 1): WasmResult {
    return incrementMetric(this.id, delta);
  }
  get(): u64 {
    return getMetric(this.id);
  }
}

export class Gauge {
  readonly id: u32;
  constructor(public readonly name: string) {
    this.id = defineMetric(MetricType.Gauge, name);
  }
  set(value: u64): WasmResult {
    return recordMetric(this.id, value);
  }
  /** Adds delta (negative subtracts). */
  add(delta: i64): WasmResult {
    return incrementMetric(this.id, delta);
  }
  get(): u64 {
    return getMetric(this.id);
  }
}

export class Histogram {
  readonly id: u32;
  constructor(public readonly name: string) {
    this.id = defineMetric(MetricType.Histogram, name);
  }
  record(value: u64): WasmResult {
    return recordMetric(this.id, value);
  }
}

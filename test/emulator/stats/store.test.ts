import { describe, expect, it } from "vitest";
import { StatsStore } from "../../../emulator/stats/store.ts";

describe("StatsStore", () => {
  it("gets or creates stats by full name", () => {
    const store = new StatsStore();
    const c = store.counter("wasmcustom.requests");
    c.add(2n);
    store.counter("wasmcustom.requests").inc();
    expect(store.counter("wasmcustom.requests")).toBe(c);
    expect(c.value()).toBe(3n);
    expect(store.find("wasmcustom.requests")).toEqual({ type: "counter", metric: c });
    expect(store.find("wasmcustom.other")).toBeUndefined();
  });

  it("keeps counters, gauges and histograms of the same name apart", () => {
    const store = new StatsStore();
    store.counter("wasmcustom.x").add(1n);
    store.gauge("wasmcustom.x").set(5n);
    store.histogram("wasmcustom.x").record(7n);
    expect(store.counter("wasmcustom.x").value()).toBe(1n);
    expect(store.gauge("wasmcustom.x").value()).toBe(5n);
    expect(store.histogram("wasmcustom.x").statistics().sampleCount).toBe(1);
    expect([store.counters().length, store.gauges().length, store.histograms().length]).toEqual([1, 1, 1]);
  });

  it("wraps values modulo 2^64 like Envoy's uint64 stats", () => {
    const store = new StatsStore();
    const g = store.gauge("wasmcustom.g");
    g.sub(1n);
    expect(g.value()).toBe(2n ** 64n - 1n);
    g.add(2n);
    expect(g.value()).toBe(1n);
    const c = store.counter("wasmcustom.c");
    c.add(2n ** 64n - 1n);
    c.add(2n);
    expect(c.value()).toBe(1n);
  });
});

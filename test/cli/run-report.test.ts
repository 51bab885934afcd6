import { describe, expect, it } from "vitest";
import { formatJson, jsonBytes, jsonUint, metricsSnapshot } from "../../cli/run/report.ts";
import { StatsStore } from "../../emulator/stats/store.ts";

describe("run report helpers", () => {
  it("prints bytes as text when valid UTF-8, else base64", () => {
    expect(jsonBytes(new TextEncoder().encode("héllo"))).toBe("héllo");
    expect(jsonBytes(new Uint8Array([0xff, 0x00]))).toEqual({ base64: "/wA=" });
  });

  it("keeps uint64 values exact", () => {
    expect(jsonUint(42n)).toBe(42);
    expect(jsonUint(2n ** 64n - 1n)).toBe("18446744073709551615");
  });

  it("snapshots counters, gauges and histograms", () => {
    const store = new StatsStore();
    store.counter("wasmcustom.b").add(2n);
    store.gauge("wasmcustom.a").set(1n);
    store.histogram("wasmcustom.h").record(300n);
    expect(metricsSnapshot(store)).toEqual({
      "wasmcustom.b": 2,
      "wasmcustom.a": 1,
      "wasmcustom.h": { count: 1, sum: 300 + 10 * (300 / 610) },
    });
  });

  it("formats JSON with scalar arrays on one line", () => {
    expect(formatJson({ headers: [["a", "b"]], empty: [], none: null, nested: {} })).toBe(
      '{\n  "headers": [\n    ["a","b"]\n  ],\n  "empty": [],\n  "none": null,\n  "nested": {}\n}',
    );
    expect(JSON.parse(formatJson({ x: [1, { y: "z\n" }] }))).toEqual({ x: [1, { y: "z\n" }] });
  });
});

import { describe, expect, it } from "vitest";
import { DEFAULT_HISTOGRAM_BUCKETS, LogLinearHistogram } from "../../../emulator/stats/histogram.ts";
import { formatDoubleG32 } from "../../../emulator/stats/format-double.ts";

const record = (...values: number[]) => {
  const h = new LogLinearHistogram();
  for (const v of values) h.insert(BigInt(v));
  return h;
};

describe("Envoy histogram model (libcircllhist py-0.3.2)", () => {
  it("uses Envoy's default buckets", () => {
    expect(DEFAULT_HISTOGRAM_BUCKETS).toEqual([
      0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
    ]);
  });

  it("reproduces Envoy's own Prometheus test output for {50,20,30,70,100,5000,200}", () => {
    // envoyproxy/envoy test/server/admin/prometheus_stats_test.cc (OutputWithUsedOnly and others):
    // buckets 0,0,0,0,1,3,5,6,6,6,6,7,... sum 5531.1160155998386471765115857124, count 7.
    const stats = record(50, 20, 30, 70, 100, 5000, 200).statistics();
    expect(stats.computedBuckets).toEqual([0, 0, 0, 0, 1, 3, 5, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7]);
    expect(stats.sampleCount).toBe(7);
    expect(formatDoubleG32(stats.sampleSum)).toBe("5531.1160155998386471765115857124");
  });

  it("sums each bin's minimum-error midpoint, not the recorded values", () => {
    // 300 falls in bin [300, 310): 300 + 10 * 300 / 610.
    expect(record(300).approxSum()).toBe(300 + 10 * (300 / 610));
    // 9 falls in bin [9, 9.1).
    expect(record(9).approxSum()).toBe(9 + 0.1 * (9 / 18.1));
    // Zero is its own bin with midpoint 0.
    expect(record(0, 0).approxSum()).toBe(0);
    expect(record(0, 0).sampleCount()).toBe(2);
  });

  it("counts a bin under a bound when the bin's lower edge is <= the bound", () => {
    const h = record(505, 510, 0, 1);
    expect(h.countBelow(0.5)).toBe(1); // only 0
    expect(h.countBelow(1)).toBe(2); // 0 and 1 ([1, 1.1))
    expect(h.countBelow(500)).toBe(3); // 505 is in bin [500, 510)
    expect(h.countBelow(509.9)).toBe(3);
    expect(h.countBelow(510)).toBe(4);
  });

  it("keeps two significant digits: 1234 and 1299 share a bin", () => {
    const h = record(1234, 1299);
    expect(h.countBelow(1200)).toBe(2);
    expect(h.approxSum()).toBe(2 * (1200 + 100 * (1200 / 2500)));
  });

  it("reinterprets uint64 values above INT64_MAX as negative, like hist_insert_intscale(int64_t)", () => {
    const h = new LogLinearHistogram();
    h.insert(2n ** 64n - 1n); // -1 → bin (-1.1, -1]
    expect(h.countBelow(0.5)).toBe(1);
    expect(h.approxSum()).toBeLessThan(0);
  });
});

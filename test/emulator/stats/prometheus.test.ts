import { describe, expect, it } from "vitest";
import { StatsStore } from "../../../emulator/stats/store.ts";
import { renderPrometheus, prometheusMetricName, formatPrometheusTags } from "../../../emulator/stats/prometheus.ts";
import { TagProducer } from "../../../emulator/stats/tags.ts";
import { ISTIO_STATS_TAGS, istioStatName } from "../../../emulator/stats/istio-stats-tags.ts";

const BUCKETS = ["0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "30000",
  "60000", "300000", "600000", "1800000", "3600000"];

/** The `_bucket` lines Envoy prints for cumulative counts `counts` (one per default bound). */
function bucketLines(family: string, labels: string, counts: number[], total: number): string {
  const prefix = labels ? labels + "," : "";
  return (
    BUCKETS.map((b, i) => `${family}_bucket{${prefix}le="${b}"} ${counts[i]}\n`).join("") +
    `${family}_bucket{${prefix}le="+Inf"} ${total}\n`
  );
}

describe("renderPrometheus (Envoy /stats/prometheus)", () => {
  it("prints Istio-style Wasm metrics with labels from the bootstrap stats_tags", () => {
    const store = new StatsStore();
    const dims = (reporter: string, code: string): Array<[string, string]> => [
      ["reporter", reporter],
      ["source_workload", "sleep"],
      ["destination_principal", "spiffe://cluster.local/ns/default/sa/httpbin"],
      ["response_code", code],
      ["grpc_response_status", ""],
    ];
    store.counter(istioStatName(dims("destination", "200"), "istio_requests_total")).add(3n);
    store.counter(istioStatName(dims("destination", "503"), "istio_requests_total")).add(1n);
    const duration = store.histogram(istioStatName([["reporter", "destination"]], "istio_request_duration_milliseconds"));
    duration.record(3n);
    duration.record(250n);
    store.gauge("wasmcustom.active_streams").set(2n);

    const labels = (code: string) =>
      `response_code="${code}",reporter="destination",source_workload="sleep",` +
      `destination_principal="spiffe://cluster.local/ns/default/sa/httpbin",grpc_response_status=""`;
    expect(renderPrometheus(store, { tagSpecifiers: ISTIO_STATS_TAGS })).toBe(
      "# TYPE istio_requests_total counter\n" +
        `istio_requests_total{${labels("200")}} 3\n` +
        `istio_requests_total{${labels("503")}} 1\n` +
        "# TYPE active_streams gauge\n" +
        "active_streams{} 2\n" +
        "# TYPE istio_request_duration_milliseconds histogram\n" +
        bucketLines(
          "istio_request_duration_milliseconds",
          'reporter="destination"',
          [0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
          2,
        ) +
        // Bins [3, 3.1) and [250, 260): minimum-error midpoints summed, printed with {:.32g}.
        'istio_request_duration_milliseconds_sum{reporter="destination"} 257.95114111218259722591028548777\n' +
        'istio_request_duration_milliseconds_count{reporter="destination"} 2\n',
    );
  });

  it("prints histograms without tags with le as the only label and {} on _sum/_count", () => {
    const store = new StatsStore();
    store.histogram("wasmcustom.latency");
    expect(renderPrometheus(store)).toBe(
      "# TYPE latency histogram\n" + bucketLines("latency", "", Array(19).fill(0), 0) + "latency_sum{} 0\nlatency_count{} 0\n",
    );
  });

  it("names metrics like PrometheusStatsFormatter::metricName", () => {
    const ns = ["wasmcustom"];
    expect(prometheusMetricName("wasmcustom.my.metric-name", ns)).toBe("my_metric_name");
    expect(prometheusMetricName("cluster.a.upstream_rq", ns)).toBe("envoy_cluster_a_upstream_rq");
    expect(prometheusMetricName("3.artists.play-violin@019street", [])).toBe("envoy_3_artists_play_violin_019street");
    expect(prometheusMetricName("wasmcustom.1234abcd", ns)).toBeNull();
    expect(prometheusMetricName("wasmcustom.", ns)).toBeNull();
    expect(prometheusMetricName("wasmcustom", ns)).toBe("envoy_wasmcustom");
    expect(prometheusMetricName("wasmcustom.x", [])).toBe("envoy_wasmcustom_x");
    // Custom names are sanitised per character, envoy_ names per UTF-8 byte.
    expect(prometheusMetricName("wasmcustom.caf\u00e9", ns)).toBe("caf_");
    expect(prometheusMetricName("caf\u00e9", ns)).toBe("envoy_caf__");
  });

  it("sanitises tag names and escapes tag values like formattedTags", () => {
    expect(
      formatPrometheusTags([
        { name: "a.tag-name", value: "a.tag-value" },
        { name: "another_tag_name", value: "another_tag-value" },
        { name: "replace_problematic", value: 'val"ue with\\ some\n issues' },
      ]),
    ).toBe(
      'a_tag_name="a.tag-value",another_tag_name="another_tag-value",replace_problematic="val\\"ue with\\\\ some\\n issues"',
    );
  });

  it("drops families whose custom name starts with a digit", () => {
    const store = new StatsStore();
    store.counter("wasmcustom.1st").add(1n);
    store.counter("wasmcustom.ok").add(1n);
    expect(renderPrometheus(store)).toBe("# TYPE ok counter\nok{} 1\n");
  });

  it("sorts families by tag-extracted stat name and members by full stat name", () => {
    const store = new StatsStore();
    store.counter("wasmcustom.b-c").add(1n);
    store.counter("wasmcustom.b.c").add(2n); // token "b" < "b-c", so this family comes first
    store.counter("wasmcustom.a").add(3n);
    store.counter(istioStatName([["reporter", "source"]], "a")).add(4n);
    store.counter(istioStatName([["reporter", "destination"]], "a")).add(5n);
    const producer = new TagProducer(ISTIO_STATS_TAGS.slice(0, 2));
    expect(renderPrometheus(store, { tagProducer: producer })).toBe(
      "# TYPE a counter\n" +
        "a{} 3\n" +
        'a{reporter="destination"} 5\n' +
        'a{reporter="source"} 4\n' +
        "# TYPE b_c counter\n" +
        "b_c{} 2\n" +
        "# TYPE b_c counter\n" +
        "b_c{} 1\n",
    );
  });

  it("prints counters, gauges and histograms of the same name as separate families in that order", () => {
    const store = new StatsStore();
    store.histogram("wasmcustom.x");
    store.gauge("wasmcustom.x").set(2n);
    store.counter("wasmcustom.x").add(1n);
    const text = renderPrometheus(store);
    expect(text.split("\n").filter((l) => l.startsWith("# TYPE"))).toEqual([
      "# TYPE x counter",
      "# TYPE x gauge",
      "# TYPE x histogram",
    ]);
  });

  it("applies Envoy's default tag extractors to Wasm names", () => {
    const store = new StatsStore();
    store.counter("wasmcustom.upstream_rq_200").add(7n);
    expect(renderPrometheus(store)).toBe('# TYPE upstream_rq counter\nupstream_rq{envoy_response_code="200"} 7\n');
    expect(renderPrometheus(store, { useAllDefaultTags: false })).toBe(
      "# TYPE upstream_rq_200 counter\nupstream_rq_200{} 7\n",
    );
  });

  it("prints uint64 values in full", () => {
    const store = new StatsStore();
    store.counter("wasmcustom.big").add(2n ** 64n - 1n);
    expect(renderPrometheus(store)).toBe("# TYPE big counter\nbig{} 18446744073709551615\n");
    expect(renderPrometheus(new StatsStore())).toBe("");
  });
});

// Envoy-faithful stats: store, tag extraction, histograms and the Prometheus exposition.
export { StatsStore, Counter, Gauge, Histogram, type Metric } from "./store.ts";
export { TagProducer, TagConfigError, type TagSpecifier, type Tag, type ExtractedTags, type TagProducerOptions } from "./tags.ts";
export { LogLinearHistogram, DEFAULT_HISTOGRAM_BUCKETS, type HistogramStatistics } from "./histogram.ts";
export {
  renderPrometheus,
  prometheusMetricName,
  formatPrometheusTags,
  WASM_CUSTOM_STAT_NAMESPACE,
  type PrometheusOptions,
} from "./prometheus.ts";
export { ISTIO_DEFAULT_STAT_TAGS, ISTIO_STATS_TAGS, istioStatsTag, istioStatName } from "./istio-stats-tags.ts";
export { compareStatNames } from "./stat-name.ts";
export { formatDoubleG32 } from "./format-double.ts";

// Envoy's `/stats/prometheus` text exposition, modelled on envoyproxy/envoy
// source/server/admin/prometheus_stats.cc (PrometheusStatsFormatter: metricName, formattedTags, TextFormat,
// visitStatType) as of Envoy 1.36-1.38:
// - counters, then gauges, then histograms (text readouts would come before histograms; Wasm cannot create them);
// - within a type, stats are grouped by tag-extracted name, groups sorted by that name in stat-name order, each
//   group printed as `# TYPE <name> <type>` followed by its stats sorted by full stat name; no blank lines;
// - a name in a registered custom namespace ("wasmcustom") loses the namespace and gets no `envoy_` prefix; its
//   remainder is sanitised to [a-zA-Z0-9_] and the whole family is dropped if that is empty or starts with a digit;
//   any other name becomes `envoy_` + sanitised name;
// - labels are `name="value"` joined by ',', names sanitised, values escaped (\ → \\, newline → \n, " → \");
//   a stat without tags prints `{}`;
// - histograms print `_bucket{...,le="B"}` for each bound and le="+Inf", then `_sum` and `_count`; bounds and the
//   sum use fmt's `{:.32g}`.

import { compareStatNames } from "./stat-name.ts";
import { formatDoubleG32 } from "./format-double.ts";
import { DEFAULT_HISTOGRAM_BUCKETS } from "./histogram.ts";
import { TagProducer, type Tag, type TagSpecifier } from "./tags.ts";
import type { StatsStore, Counter, Gauge, Histogram } from "./store.ts";

/** The custom stat namespace Envoy's Wasm filter factories register (source/extensions/common/wasm/stats_handler.h). */
export const WASM_CUSTOM_STAT_NAMESPACE = "wasmcustom";

export interface PrometheusOptions {
  /** Bootstrap `stats_config.stats_tags`. Ignored when `tagProducer` is given. */
  tagSpecifiers?: readonly TagSpecifier[];
  /** Bootstrap `stats_config.use_all_default_tags` (Envoy default true). Ignored when `tagProducer` is given. */
  useAllDefaultTags?: boolean;
  /** A producer built once from the bootstrap (validates the config up front). */
  tagProducer?: TagProducer;
  /** Registered custom stat namespaces. Default ["wasmcustom"]. */
  customNamespaces?: readonly string[];
  /** Histogram bucket bounds. Default Envoy's default buckets. */
  histogramBuckets?: readonly number[];
}

const PROM_CHAR = /[a-zA-Z0-9_]/;
const encoder = new TextEncoder();

/** sanitizeNameInPlace: every byte outside [a-zA-Z0-9_] becomes '_' (a multi-byte UTF-8 character gives several). */
function sanitizeBytes(name: string): string {
  let out = "";
  for (const ch of name) {
    if (PROM_CHAR.test(ch)) out += ch;
    else out += "_".repeat(encoder.encode(ch).length);
  }
  return out;
}

/** sanitizeName: RE2 replaceAll of [^a-zA-Z0-9_] over UTF-8 text, one '_' per character. */
function sanitizeChars(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/gu, "_");
}

function escapeLabelValue(value: string): string {
  return value.replace(/[\\\n"]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : '\\"'));
}

/** PrometheusStatsFormatter::metricName; null when Envoy leaves the family out. */
export function prometheusMetricName(tagExtractedName: string, customNamespaces: readonly string[]): string | null {
  const dot = tagExtractedName.indexOf(".");
  if (dot !== -1 && customNamespaces.includes(tagExtractedName.slice(0, dot))) {
    const sanitized = sanitizeChars(tagExtractedName.slice(dot + 1));
    if (sanitized === "" || /^[0-9]/.test(sanitized)) return null;
    return sanitized;
  }
  return "envoy_" + sanitizeBytes(tagExtractedName);
}

/** PrometheusStatsFormatter::formattedTags. */
export function formatPrometheusTags(tags: readonly Tag[]): string {
  return tags.map((t) => `${sanitizeBytes(t.name)}="${escapeLabelValue(t.value)}"`).join(",");
}

interface Named {
  readonly name: string;
}

/** visitStatType: group by tag-extracted name, sort, name each family, call `emit` for every printable family. */
function eachFamily<T extends Named>(
  stats: T[],
  producer: TagProducer,
  namespaces: readonly string[],
  emit: (family: string, members: Array<{ stat: T; tags: Tag[] }>) => void,
): void {
  const groups = new Map<string, Array<{ stat: T; tags: Tag[] }>>();
  for (const stat of stats) {
    const { tagExtractedName, tags } = producer.produceTags(stat.name);
    let group = groups.get(tagExtractedName);
    if (!group) groups.set(tagExtractedName, (group = []));
    group.push({ stat, tags });
  }
  for (const extracted of [...groups.keys()].sort(compareStatNames)) {
    const family = prometheusMetricName(extracted, namespaces);
    if (family === null) continue;
    const members = groups.get(extracted)!.sort((a, b) => compareStatNames(a.stat.name, b.stat.name));
    emit(family, members);
  }
}

function histogramLines(family: string, tags: Tag[], histogram: Histogram, buckets: readonly number[]): string {
  const labels = formatPrometheusTags(tags);
  const bucketLabels = tags.length === 0 ? "" : labels + ",";
  const stats = histogram.statistics(buckets);
  let out = "";
  for (let i = 0; i < buckets.length; i++) {
    out += `${family}_bucket{${bucketLabels}le="${formatDoubleG32(buckets[i])}"} ${stats.computedBuckets[i]}\n`;
  }
  out += `${family}_bucket{${bucketLabels}le="+Inf"} ${stats.sampleCount}\n`;
  out += `${family}_sum{${labels}} ${formatDoubleG32(stats.sampleSum)}\n`;
  out += `${family}_count{${labels}} ${stats.sampleCount}\n`;
  return out;
}

/** The text Envoy's admin `/stats/prometheus` returns for this store. */
export function renderPrometheus(store: StatsStore, options: PrometheusOptions = {}): string {
  const producer =
    options.tagProducer ??
    new TagProducer(options.tagSpecifiers ?? [], { useAllDefaultTags: options.useAllDefaultTags });
  const namespaces = options.customNamespaces ?? [WASM_CUSTOM_STAT_NAMESPACE];
  const buckets = options.histogramBuckets ?? DEFAULT_HISTOGRAM_BUCKETS;
  let out = "";
  const numeric = (type: string) => (family: string, members: Array<{ stat: Counter | Gauge; tags: Tag[] }>) => {
    out += `# TYPE ${family} ${type}\n`;
    for (const { stat, tags } of members) out += `${family}{${formatPrometheusTags(tags)}} ${stat.value()}\n`;
  };
  eachFamily(store.counters(), producer, namespaces, numeric("counter"));
  eachFamily(store.gauges(), producer, namespaces, numeric("gauge"));
  eachFamily(store.histograms(), producer, namespaces, (family, members) => {
    out += `# TYPE ${family} histogram\n`;
    for (const { stat, tags } of members) out += histogramLines(family, tags, stat, buckets);
  });
  return out;
}

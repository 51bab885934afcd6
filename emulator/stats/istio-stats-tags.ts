// Istio's bootstrap stats_tags for the stat names of its Wasm-era stats plugin, defined once: the emulator's users
// (tests, bench) take them from here, and test/envoy-configs checks every shipped config's copy against them.
//
// The plugin names a metric `wasmcustom.<tag>=.=<value>;.;…<metric>` (istio/proxy:extensions/stats/plugin.h); the
// bootstrap carries one entry per tag, in the order of istio/istio:pkg/bootstrap/config.go DefaultStatTags, each
// cutting `<tag>=.=<value>;.;` out of the name (istio/istio:tools/packaging/common/envoy_bootstrap.json, 1.16). The
// response_code entry comes first and needs a non-empty value (`.+?`).
import { WASM_CUSTOM_STAT_NAMESPACE } from "./prometheus.ts";
import type { TagSpecifier } from "./tags.ts";

/** Istio's default stat tags (DefaultStatTags), in its order, without the response_code entry that precedes them. */
export const ISTIO_DEFAULT_STAT_TAGS: readonly string[] = [
  "reporter", "source_namespace", "source_workload", "source_workload_namespace", "source_principal", "source_app",
  "source_version", "source_cluster", "destination_namespace", "destination_workload",
  "destination_workload_namespace", "destination_principal", "destination_app", "destination_version",
  "destination_service", "destination_service_name", "destination_service_namespace", "destination_port",
  "destination_cluster", "request_protocol", "request_operation", "request_host", "response_flags",
  "grpc_response_status", "connection_security_policy", "source_canonical_service", "destination_canonical_service",
  "source_canonical_revision", "destination_canonical_revision",
];

/** Istio's stats_tags entry for one tag. */
export function istioStatsTag(tag: string): { tag_name: string; regex: string } {
  const value = tag === "response_code" ? ".+?" : ".*?";
  return { tag_name: tag, regex: `(${tag}=\\.=(${value});\\.;)` };
}

/** Istio's full stats_tags list: response_code, then every default tag. */
export const ISTIO_STATS_TAGS: TagSpecifier[] = ["response_code", ...ISTIO_DEFAULT_STAT_TAGS].map(istioStatsTag);

/** The stat name Istio's Wasm stats plugin defines: `<tag>=.=<value>;.;` per dimension, then the metric name. */
export function istioStatName(dimensions: Array<[string, string]>, metric: string): string {
  return WASM_CUSTOM_STAT_NAMESPACE + "." + dimensions.map(([k, v]) => `${k}=.=${v};.;`).join("") + metric;
}

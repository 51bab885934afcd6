// The Istio standard label set, in the order Istio's Wasm stats plugin encoded it into metric names
// (STD_ISTIO_DIMENSIONS, istio/proxy extensions/stats/plugin.h), and the value sanitiser that keeps
// hostile text from breaking that encoding.

export const REPORTER: i32 = 0;
export const SOURCE_WORKLOAD: i32 = 1;
export const SOURCE_WORKLOAD_NAMESPACE: i32 = 2;
export const SOURCE_PRINCIPAL: i32 = 3;
export const SOURCE_APP: i32 = 4;
export const SOURCE_VERSION: i32 = 5;
export const SOURCE_CANONICAL_SERVICE: i32 = 6;
export const SOURCE_CANONICAL_REVISION: i32 = 7;
export const SOURCE_CLUSTER: i32 = 8;
export const DESTINATION_WORKLOAD: i32 = 9;
export const DESTINATION_WORKLOAD_NAMESPACE: i32 = 10;
export const DESTINATION_PRINCIPAL: i32 = 11;
export const DESTINATION_APP: i32 = 12;
export const DESTINATION_VERSION: i32 = 13;
export const DESTINATION_SERVICE: i32 = 14;
export const DESTINATION_SERVICE_NAME: i32 = 15;
export const DESTINATION_SERVICE_NAMESPACE: i32 = 16;
export const DESTINATION_CANONICAL_SERVICE: i32 = 17;
export const DESTINATION_CANONICAL_REVISION: i32 = 18;
export const DESTINATION_CLUSTER: i32 = 19;
export const REQUEST_PROTOCOL: i32 = 20;
export const RESPONSE_FLAGS: i32 = 21;
export const CONNECTION_SECURITY_POLICY: i32 = 22;
export const RESPONSE_CODE: i32 = 23;
export const GRPC_RESPONSE_STATUS: i32 = 24;

// Subsets, as in the Wasm plugin: HTTP metrics carry all 25 labels, istio_tcp_* the first 23 (up to
// connection_security_policy), istio_request/response_messages_total the first 20 (peer labels).

export const LABEL_NAMES: StaticArray<string> = [
  "reporter",
  "source_workload",
  "source_workload_namespace",
  "source_principal",
  "source_app",
  "source_version",
  "source_canonical_service",
  "source_canonical_revision",
  "source_cluster",
  "destination_workload",
  "destination_workload_namespace",
  "destination_principal",
  "destination_app",
  "destination_version",
  "destination_service",
  "destination_service_name",
  "destination_service_namespace",
  "destination_canonical_service",
  "destination_canonical_revision",
  "destination_cluster",
  "request_protocol",
  "response_flags",
  "connection_security_policy",
  "response_code",
  "grpc_response_status",
];

/** Value Istio uses for any label it cannot determine. */
export const UNKNOWN = "unknown";
/** Value Istio uses for a missing canonical revision (istio/proxy kLatest). */
export const LATEST = "latest";

/** Separators of Istio's Wasm-era stat names (istio/proxy extensions/stats/plugin.h defaults). */
export const VALUE_SEPARATOR = "=.=";
export const FIELD_SEPARATOR = ";.;";

/** Longest label value kept; longer (hostile or broken) values are cut so one stat name stays bounded. */
export const MAX_LABEL_VALUE_LENGTH: i32 = 256;

/**
 * Makes `value` safe to embed between `=.=` and `;.;`:
 * - `;` and `=` become `_`. With neither character present a value can never contain a separator, and it
 *   cannot form one with its neighbours either (a value ending in ";." followed by ";.;" would otherwise
 *   end the field early; a value containing "destination_service=.=" would otherwise be picked up by that
 *   tag's stats_tags regex, which matches the leftmost occurrence in the whole name).
 * - control characters (below 0x20, and 0x7f) become `_`, so a stat name is always printable.
 * - values longer than MAX_LABEL_VALUE_LENGTH are truncated.
 * Returns `value` itself (no allocation) when nothing needs changing, which is the normal case.
 */
export function sanitizeLabelValue(value: string): string {
  const n = value.length;
  const limit = n > MAX_LABEL_VALUE_LENGTH ? MAX_LABEL_VALUE_LENGTH : n;
  let clean = n == limit;
  for (let i = 0; i < limit && clean; i++) clean = !needsReplacement(value.charCodeAt(i));
  if (clean) return value;
  let out = "";
  let runStart = 0;
  for (let i = 0; i < limit; i++) {
    if (needsReplacement(value.charCodeAt(i))) {
      out += value.substring(runStart, i) + "_";
      runStart = i + 1;
    }
  }
  return out + value.substring(runStart, limit);
}

// @ts-ignore: decorator
@inline function needsReplacement(c: i32): bool {
  return c < 0x20 || c == 0x7f || c == 0x3b /* ; */ || c == 0x3d /* = */;
}

/** `value` sanitised, or `fallback` when it is empty. */
export function labelOr(value: string, fallback: string): string {
  return value.length == 0 ? fallback : sanitizeLabelValue(value);
}

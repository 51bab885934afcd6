// HTTP mode: one report per request, at the access-log phase (as Istio's filters do), so requests that an
// earlier filter answered locally are counted too.

import { HttpContext, getPropertyInt64, getPropertyString, requestHeaders } from "../../sdk";
import { parseDecimal } from "../../lib/strings";
import { Reporter } from "./config";
import { GRPC_RESPONSE_STATUS, REQUEST_PROTOCOL, RESPONSE_CODE, RESPONSE_FLAGS, CONNECTION_SECURITY_POLICY } from "./labels";
import { PeerLabels, encodeTag } from "./peer-labels";
import { readText } from "./peer-source";
import { responseFlagsString } from "./response-flags";
import { StatsRoot } from "./root";
import { GrpcSeries, HttpSeries, addToCounter, recordInHistogram } from "./series";

const RESPONSE_CODE_PATH: string[] = ["response", "code"];
const RESPONSE_FLAGS_PATH: string[] = ["response", "flags"];
const REQUEST_DURATION_PATH: string[] = ["request", "duration"];
const REQUEST_TOTAL_SIZE_PATH: string[] = ["request", "total_size"];
const RESPONSE_TOTAL_SIZE_PATH: string[] = ["response", "total_size"];
const GRPC_STATUS_PATH: string[] = ["response", "grpc_status"];
const GRPC_STATS_PATH: string[] = ["filter_state", "envoy.filters.http.grpc_stats"];

const NANOS_PER_MILLI: i64 = 1_000_000;

export class HttpStatsContext extends HttpContext {
  onLog(): void {
    const root = changetype<StatsRoot>(this.root);
    const peers = root.peers;
    if (peers === null) return;
    const grpc = isGrpcContentType(requestHeaders.get("content-type"));
    const labels = peers.current();
    const host = serviceHost(root);
    const code = getPropertyInt64(RESPONSE_CODE_PATH, 0);
    const flags = responseFlagsString(<u64>getPropertyInt64(RESPONSE_FLAGS_PATH, 0));
    const grpcStatus = grpc ? grpcStatusText() : "";

    const series = httpSeries(root, labels, host, grpc, flags, code, grpcStatus);
    addToCounter(series.requests, 1);
    // Attributes are read only for metrics that are kept: each read is a host call.
    if (series.duration != 0) {
      const duration = getPropertyInt64(REQUEST_DURATION_PATH, -1);
      if (duration >= 0) recordInHistogram(series.duration, <u64>(duration / NANOS_PER_MILLI));
    }
    if (series.requestBytes != 0) recordInHistogram(series.requestBytes, <u64>max<i64>(getPropertyInt64(REQUEST_TOTAL_SIZE_PATH, 0), 0));
    if (series.responseBytes != 0) recordInHistogram(series.responseBytes, <u64>max<i64>(getPropertyInt64(RESPONSE_TOTAL_SIZE_PATH, 0), 0));
    if (grpc) reportMessages(root, labels, host);
  }
}

/**
 * Envoy's gRPC request test (source/common/grpc/common.cc hasGrpcContentType): `application/grpc`, optionally
 * followed by `+<subtype>` or `;<params>`.
 */
export function isGrpcContentType(contentType: string | null): bool {
  if (contentType === null) return false;
  const value = contentType!;
  if (!value.startsWith("application/grpc")) return false;
  if (value.length == 16) return true;
  const next = value.charCodeAt(16);
  return next == 0x2b /* + */ || next == 0x3b /* ; */;
}

/**
 * The host the destination_service labels describe, when the configuration leaves it open: the service
 * hbone-outbound resolved (source reporter), else the Host header unless disableHostHeaderFallback.
 * Reading it costs host calls, so nothing is read when a service is configured.
 */
function serviceHost(root: StatsRoot): string {
  const config = root.config;
  if (config.service.host.length > 0 && config.service.name.length > 0) return "";
  const peers = root.peers!;
  if (peers.reporter == Reporter.Source) {
    const resolved = readText(peers.upstreamServicePath);
    if (resolved.length > 0) return resolved;
  }
  if (config.disableHostHeaderFallback) return "";
  const authority = requestHeaders.get(":authority");
  return authority === null ? "" : authority!;
}

/** The gRPC status Envoy derives from trailers, headers or the HTTP status; "" when none (istio_stats.cc). */
function grpcStatusText(): string {
  const status = getPropertyInt64(GRPC_STATUS_PATH, -1);
  return status < 0 ? "" : status.toString();
}

function httpSeries(root: StatsRoot, labels: PeerLabels, host: string, grpc: bool, flags: string, code: i64, grpcStatus: string): HttpSeries {
  const protocol = grpc ? "grpc" : "http";
  const codeText = code.toString();
  const key = host + "\n" + protocol + "\n" + flags + "\n" + codeText + "\n" + grpcStatus;
  const cache = labels.http;
  if (cache.has(key)) return cache.get(key);
  const name =
    labels.head + labels.serviceSegment(host) + labels.tail +
    encodeTag(REQUEST_PROTOCOL, protocol) +
    encodeTag(RESPONSE_FLAGS, flags) +
    encodeTag(CONNECTION_SECURITY_POLICY, labels.securityPolicy) +
    encodeTag(RESPONSE_CODE, codeText) +
    encodeTag(GRPC_RESPONSE_STATUS, grpcStatus);
  labels.trim();
  const series = new HttpSeries(root.metrics, name);
  cache.set(key, series);
  return series;
}

/**
 * istio_request_messages_total / istio_response_messages_total from the message counts Envoy's grpc_stats
 * filter (with emit_filter_state) leaves in filter state as "<request>,<response>". Reported once, at the end
 * of the stream (Istio also reports them periodically for long streams; see README).
 */
function reportMessages(root: StatsRoot, labels: PeerLabels, host: string): void {
  const counts = getPropertyString(GRPC_STATS_PATH);
  if (counts === null) return;
  const text = counts!;
  const comma = text.indexOf(",");
  if (comma <= 0) return;
  const requests = parseDecimal(text.substring(0, comma), i64.MAX_VALUE);
  const responses = parseDecimal(text.substring(comma + 1), i64.MAX_VALUE);
  if (requests < 0 || responses < 0) return;
  let series: GrpcSeries;
  if (labels.grpc.has(host)) {
    series = labels.grpc.get(host);
  } else {
    labels.trim();
    series = new GrpcSeries(root.metrics, labels.head + labels.serviceSegment(host) + labels.tail);
    labels.grpc.set(host, series);
  }
  addToCounter(series.requestMessages, <u64>requests);
  addToCounter(series.responseMessages, <u64>responses);
}

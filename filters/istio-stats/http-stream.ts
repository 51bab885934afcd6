// HTTP mode: one report per request, at the access-log phase (as Istio's filters do), so requests that an
// earlier filter answered locally are counted too.

import {
  FilterHeadersStatus, HeaderSnapshot, HttpContext, formatInt, getPropertyInt64, getPropertyString, requestHeaders,
} from "../../sdk";
import { GRPC_STATS } from "../../lib/filter-state-keys";
import { parseDecimal } from "../../lib/strings";
import { GRPC_RESPONSE_STATUS, REQUEST_PROTOCOL, RESPONSE_CODE, RESPONSE_FLAGS, CONNECTION_SECURITY_POLICY } from "./labels";
import { PeerLabels, encodeTag } from "./peer-labels";
import { responseFlagsString } from "./response-flags";
import { StatsRoot } from "./root";
import { GrpcSeries, HttpSeries, addToCounter, recordInHistogram } from "./series";

const RESPONSE_CODE_PATH: string[] = ["response", "code"];
const RESPONSE_FLAGS_PATH: string[] = ["response", "flags"];
const REQUEST_DURATION_PATH: string[] = ["request", "duration"];
const REQUEST_TOTAL_SIZE_PATH: string[] = ["request", "total_size"];
const RESPONSE_TOTAL_SIZE_PATH: string[] = ["response", "total_size"];
const GRPC_STATUS_PATH: string[] = ["response", "grpc_status"];
const GRPC_STATS_PATH: string[] = ["filter_state", GRPC_STATS];

const NANOS_PER_MILLI: i64 = 1_000_000;

export class HttpStatsContext extends HttpContext {
  private headersSeen: bool = false;
  private grpc: bool = false;
  /** Resolved at request headers for gRPC streams (reported on the timer), else at the log phase. */
  private labels: PeerLabels | null = null;
  private host: string = "";
  private messages: GrpcSeries | null = null;
  private reportedRequests: i64 = 0;
  private reportedResponses: i64 = 0;
  /** Links of the root's list of live gRPC streams (StatsRoot.grpcStreams). */
  private live: bool = false;
  private prevLive: HttpStatsContext | null = null;
  nextLive: HttpStatsContext | null = null;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const root = changetype<StatsRoot>(this.root);
    this.headersSeen = true;
    // One read for both headers when the Host header may name the service (a gRPC stream needs it now).
    const headers = mayUseHostHeader(root) ? requestHeaders.snapshot() : null;
    this.grpc = isGrpcContentType(headers !== null ? headers.get("content-type") : requestHeaders.get("content-type"));
    if (this.grpc && root.peers !== null) {
      // Long gRPC streams report message counts on the timer, which can no longer see the request headers.
      this.labels = root.peers!.current();
      this.host = serviceHost(root, headers);
      this.startLive(root);
    }
    return FilterHeadersStatus.Continue;
  }

  onLog(): void {
    const root = changetype<StatsRoot>(this.root);
    const peers = root.peers;
    if (peers === null) return;
    // A request answered before it reached this filter never called onRequestHeaders: read both headers at once.
    let headers: HeaderSnapshot | null = null;
    if (!this.headersSeen) {
      headers = mayUseHostHeader(root) ? requestHeaders.snapshot() : null;
      this.grpc = isGrpcContentType(headers !== null ? headers.get("content-type") : requestHeaders.get("content-type"));
    }
    let labels = this.labels;
    if (labels === null) {
      labels = peers.current();
      this.host = serviceHost(root, headers);
    }
    const grpc = this.grpc;
    const code = getPropertyInt64(RESPONSE_CODE_PATH, 0);
    const flags = responseFlagsString(<u64>getPropertyInt64(RESPONSE_FLAGS_PATH, 0));
    const grpcStatus = grpc ? grpcStatusText() : "";

    const series = httpSeries(root, labels, this.host, grpc, flags, code, grpcStatus);
    addToCounter(series.requests, 1);
    // Attributes are read only for metrics that are kept: each read is a host call.
    if (series.duration != 0) {
      const duration = getPropertyInt64(REQUEST_DURATION_PATH, -1);
      if (duration >= 0) recordInHistogram(series.duration, <u64>(duration / NANOS_PER_MILLI));
    }
    if (series.requestBytes != 0) recordInHistogram(series.requestBytes, <u64>max<i64>(getPropertyInt64(REQUEST_TOTAL_SIZE_PATH, 0), 0));
    if (series.responseBytes != 0) recordInHistogram(series.responseBytes, <u64>max<i64>(getPropertyInt64(RESPONSE_TOTAL_SIZE_PATH, 0), 0));
    if (grpc) {
      this.labels = labels;
      this.reportMessages();
      this.endLive(root);
    }
  }

  onDelete(): void {
    this.endLive(changetype<StatsRoot>(this.root));
  }

  private startLive(root: StatsRoot): void {
    if (this.live) return;
    this.live = true;
    const first = root.grpcStreams;
    this.nextLive = first;
    if (first !== null) first.prevLive = this;
    root.grpcStreams = this;
  }

  private endLive(root: StatsRoot): void {
    if (!this.live) return;
    this.live = false;
    const prev = this.prevLive;
    const next = this.nextLive;
    if (prev !== null) prev.nextLive = next;
    else root.grpcStreams = next;
    if (next !== null) next.prevLive = prev;
    this.prevLive = null;
    this.nextLive = null;
  }

  /**
   * istio_request_messages_total / istio_response_messages_total: the growth since the last report of the
   * counts Envoy's grpc_stats filter (with emit_filter_state) keeps in filter state as "<request>,<response>"
   * (istio/proxy extensions/common/context.cc populateGRPCInfo). Called at the end of the stream and, for live
   * streams, from the root's timer with this stream as the effective context.
   */
  reportMessages(): void {
    const labels = this.labels;
    if (labels === null) return;
    const counts = getPropertyString(GRPC_STATS_PATH);
    if (counts === null) return;
    const text = counts!;
    const comma = text.indexOf(",");
    if (comma <= 0) return;
    const requests = parseDecimal(text.substring(0, comma), i64.MAX_VALUE);
    const responses = parseDecimal(text.substring(comma + 1), i64.MAX_VALUE);
    if (requests < this.reportedRequests || responses < this.reportedResponses) return;
    let series = this.messages;
    if (series === null) {
      series = grpcSeries(changetype<StatsRoot>(this.root), labels, this.host);
      this.messages = series;
    }
    addToCounter(series.requestMessages, <u64>(requests - this.reportedRequests));
    addToCounter(series.responseMessages, <u64>(responses - this.reportedResponses));
    this.reportedRequests = requests;
    this.reportedResponses = responses;
  }
}

/**
 * Envoy's gRPC request test (source/common/grpc/common.cc hasGrpcContentType): exactly `application/grpc` or
 * `application/grpc+<subtype>` (so `application/grpc-web` is not gRPC).
 */
export function isGrpcContentType(contentType: string | null): bool {
  if (contentType === null) return false;
  const value = contentType!;
  if (!value.startsWith("application/grpc")) return false;
  return value.length == 16 || value.charCodeAt(16) == 0x2b /* + */;
}

/**
 * Longest Host header prefix used. A DNS name has at most 253 characters and a label shows 256, so the labels
 * of any real host are unchanged; a client's oversized Host only costs this much in cache keys.
 */
const MAX_HOST_CHARS = 1024;

/**
 * The host the destination_service labels describe, when the configuration leaves it open: the service the
 * HBONE filters resolved (source reporter, or destinationFromFilterState), else the Host header unless
 * disableHostHeaderFallback.
 * Reading it costs host calls, so nothing is read when a service host is configured.
 */
function serviceHost(root: StatsRoot, headers: HeaderSnapshot | null): string {
  const resolved = root.peers!.resolvedServiceHost();
  if (resolved.length > 0) return resolved;
  if (!mayUseHostHeader(root)) return "";
  const authority = headers !== null ? headers.get(":authority") : requestHeaders.get(":authority");
  if (authority === null) return "";
  return authority.length > MAX_HOST_CHARS ? authority.substring(0, MAX_HOST_CHARS) : authority;
}

/** Whether the configuration leaves destination_service to the Host header (when nothing else names it). */
function mayUseHostHeader(root: StatsRoot): bool {
  const config = root.config;
  return config.service.host.length == 0 && !config.disableHostHeaderFallback;
}

/** The gRPC status Envoy derives from trailers, headers or the HTTP status; "" when none (istio_stats.cc). */
function grpcStatusText(): string {
  const status = getPropertyInt64(GRPC_STATUS_PATH, -1);
  return status < 0 ? "" : formatInt(status);
}

function httpSeries(root: StatsRoot, labels: PeerLabels, host: string, grpc: bool, flags: string, code: i64, grpcStatus: string): HttpSeries {
  const protocol = grpc ? "grpc" : "http";
  const codeText = formatInt(max<i64>(code, 0));
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
  labels.trim(key);
  const series = new HttpSeries(root.metrics, name);
  cache.set(key, series);
  return series;
}

function grpcSeries(root: StatsRoot, labels: PeerLabels, host: string): GrpcSeries {
  if (labels.grpc.has(host)) return labels.grpc.get(host);
  labels.trim(host);
  const series = new GrpcSeries(root.metrics, labels.head + labels.serviceSegment(host) + labels.tail);
  labels.grpc.set(host, series);
  return series;
}

// Metric ids for one full label set, defined once (proxy_define_metric) and then updated with one host
// call each. An id of 0 means the metric is dropped by configuration (or Envoy refused the definition).

import { MetricType } from "../../sdk";
import { defineMetric, incrementMetric, recordMetric } from "../../sdk/hostcalls";

export const M_REQUESTS_TOTAL: i32 = 0;
export const M_REQUEST_DURATION: i32 = 1;
export const M_REQUEST_BYTES: i32 = 2;
export const M_RESPONSE_BYTES: i32 = 3;
export const M_REQUEST_MESSAGES: i32 = 4;
export const M_RESPONSE_MESSAGES: i32 = 5;
export const M_TCP_OPENED: i32 = 6;
export const M_TCP_CLOSED: i32 = 7;
export const M_TCP_SENT: i32 = 8;
export const M_TCP_RECEIVED: i32 = 9;

/**
 * Metric names without Istio's `istio_` prefix, indexed like the M_* constants; also the names `metrics[].name`
 * accepts in the configuration.
 */
export const METRIC_NAMES: Array<string> = [
  "requests_total",
  "request_duration_milliseconds",
  "request_bytes",
  "response_bytes",
  "request_messages_total",
  "response_messages_total",
  "tcp_connections_opened_total",
  "tcp_connections_closed_total",
  "tcp_sent_bytes_total",
  "tcp_received_bytes_total",
];

/** Which metrics the configuration drops (indexed like the M_* constants). */
export class MetricSelection {
  constructor(private dropped: StaticArray<bool>) {}

  /** Defines `<labels>istio_<name>` unless dropped; 0 when dropped or refused. */
  define(metric: i32, type: MetricType, labels: string): u32 {
    if (unchecked(this.dropped[metric])) return 0;
    return defineMetric(type, labels + "istio_" + unchecked(METRIC_NAMES[metric]));
  }
}

/** Adds `delta` (> 0) to counter `id`; no host call for 0 deltas or dropped counters. */
// @ts-ignore: decorator
@inline export function addToCounter(id: u32, delta: u64): void {
  if (id != 0 && delta > 0) incrementMetric(id, <i64>delta);
}

// @ts-ignore: decorator
@inline export function recordInHistogram(id: u32, value: u64): void {
  if (id != 0) recordMetric(id, value);
}

export class HttpSeries {
  requests: u32;
  duration: u32;
  requestBytes: u32;
  responseBytes: u32;

  constructor(selection: MetricSelection, labels: string) {
    this.requests = selection.define(M_REQUESTS_TOTAL, MetricType.Counter, labels);
    this.duration = selection.define(M_REQUEST_DURATION, MetricType.Histogram, labels);
    this.requestBytes = selection.define(M_REQUEST_BYTES, MetricType.Histogram, labels);
    this.responseBytes = selection.define(M_RESPONSE_BYTES, MetricType.Histogram, labels);
  }
}

export class GrpcSeries {
  requestMessages: u32;
  responseMessages: u32;

  constructor(selection: MetricSelection, labels: string) {
    this.requestMessages = selection.define(M_REQUEST_MESSAGES, MetricType.Counter, labels);
    this.responseMessages = selection.define(M_RESPONSE_MESSAGES, MetricType.Counter, labels);
  }
}

/**
 * The istio_tcp_* counters of one label set, with the bytes counted since they were last flushed.
 * Connections add to `pending*` without a host call; TcpFlusher turns them into counter increments.
 */
export class TcpSeries {
  opened: u32;
  closed: u32;
  sent: u32;
  received: u32;
  pendingSent: u64 = 0;
  pendingReceived: u64 = 0;
  /** On the flusher's list of series with pending bytes. */
  queued: bool = false;

  constructor(selection: MetricSelection, labels: string) {
    this.opened = selection.define(M_TCP_OPENED, MetricType.Counter, labels);
    this.closed = selection.define(M_TCP_CLOSED, MetricType.Counter, labels);
    this.sent = selection.define(M_TCP_SENT, MetricType.Counter, labels);
    this.received = selection.define(M_TCP_RECEIVED, MetricType.Counter, labels);
  }

  /** Turns pending bytes into counter increments (at most two host calls). */
  flush(): void {
    addToCounter(this.sent, this.pendingSent);
    addToCounter(this.received, this.pendingReceived);
    this.pendingSent = 0;
    this.pendingReceived = 0;
  }
}

/**
 * Series with bytes not yet reported. The root's timer flushes them all; a closing connection flushes its own
 * series right away. Aggregating per label set (not per connection) means a tick costs two host calls per
 * active label set, however many connections share it, and needs no registry of live stream contexts.
 */
export class TcpFlusher {
  private queue: Array<TcpSeries> = new Array<TcpSeries>();

  addBytes(series: TcpSeries, sent: u64, received: u64): void {
    if (sent == 0 && received == 0) return;
    series.pendingSent += sent;
    series.pendingReceived += received;
    if (!series.queued) {
      series.queued = true;
      this.queue.push(series);
    }
  }

  /** Flushes one series now, for a closing connection (its queue entry, if any, then flushes nothing). */
  flushNow(series: TcpSeries): void {
    series.flush();
  }

  flushAll(): void {
    const queue = this.queue;
    for (let i = 0, n = queue.length; i < n; i++) {
      const series = unchecked(queue[i]);
      series.flush();
      series.queued = false;
    }
    queue.length = 0;
  }
}


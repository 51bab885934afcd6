// The istio_tcp_* accounting of one connection, shared by TCP mode (a network connection) and tunnel mode (an
// HBONE CONNECT stream, reported the way ztunnel reports the connection inside it).
//
// `opened` is counted with the labels known at the start (response_flags `-`); bytes (received = from the
// downstream, sent = toward it, on every reporter, as Istio's Wasm plugin did) are handed to the root's TcpFlusher,
// which reports them on the timer and when the connection closes; `closed` carries the final response_flags —
// ztunnel's split (src/proxy/metrics.rs ConnectionResult).

import { CONNECTION_SECURITY_POLICY, REQUEST_PROTOCOL, RESPONSE_FLAGS } from "./labels";
import { PeerLabels, encodeTag } from "./peer-labels";
import { NO_FLAGS } from "./response-flags";
import { StatsRoot } from "./root";
import { TcpSeries, addToCounter } from "./series";

export class TcpAccounting {
  private labels: PeerLabels | null = null;
  private series: TcpSeries | null = null;
  private host: string = "";

  /** Counted opened and not yet closed. */
  get isOpen(): bool {
    return this.series !== null;
  }

  /** Resolves the current stream's label set and counts the connection opened (nothing before configuration). */
  open(root: StatsRoot): void {
    const peers = root.peers;
    if (peers === null) return;
    const labels = peers.current();
    this.host = peers.resolvedServiceHost();
    const series = tcpSeries(root, labels, this.host, NO_FLAGS);
    this.labels = labels;
    this.series = series;
    addToCounter(series.opened, 1);
  }

  /** Adds a data chunk's size to the label set's pending bytes (no host call). */
  addBytes(root: StatsRoot, sent: u32, received: u32): void {
    const series = this.series;
    if (series !== null) root.flusher.addBytes(series, sent, received);
  }

  /** Flushes the label set's pending bytes and counts the connection closed with `flags`. */
  close(root: StatsRoot, flags: string): void {
    const series = this.series;
    const labels = this.labels;
    if (series === null || labels === null) return;
    root.flusher.flushNow(series);
    const closing = flags == NO_FLAGS ? series : tcpSeries(root, labels, this.host, flags);
    addToCounter(closing.closed, 1);
    this.series = null;
  }
}

/** The istio_tcp_* series for `labels` with service host `host` and response_flags `flags`. */
function tcpSeries(root: StatsRoot, labels: PeerLabels, host: string, flags: string): TcpSeries {
  const key = host + "\n" + flags;
  const cache = labels.tcp;
  if (cache.has(key)) return cache.get(key);
  const name =
    labels.head + labels.serviceSegment(host) + labels.tail +
    encodeTag(REQUEST_PROTOCOL, "tcp") +
    encodeTag(RESPONSE_FLAGS, flags) +
    encodeTag(CONNECTION_SECURITY_POLICY, labels.securityPolicy);
  labels.trim(key);
  const series = new TcpSeries(root.metrics, name);
  cache.set(key, series);
  return series;
}

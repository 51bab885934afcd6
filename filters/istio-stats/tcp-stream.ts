// TCP mode (network filter): istio_tcp_* for each connection.
//
// opened at proxy_on_new_connection; bytes counted from the data callbacks' sizes (received = downstream →
// upstream, sent = upstream → downstream, on every reporter, as Istio's Wasm plugin did) and handed to the
// root's TcpFlusher, which reports them on the timer and when the connection closes; closed at the end.
// Bytes and `opened` carry the labels known at connection start (response_flags `-`); `closed` carries the
// final response_flags, which is what ztunnel does (src/proxy/metrics.rs ConnectionResult).

import { FilterStatus, TcpContext, getPropertyInt64 } from "../../sdk";
import { CONNECTION_SECURITY_POLICY, REQUEST_PROTOCOL, RESPONSE_FLAGS } from "./labels";
import { PeerLabels, encodeTag } from "./peer-labels";
import { NO_FLAGS, responseFlagsString } from "./response-flags";
import { StatsRoot } from "./root";
import { TcpSeries, addToCounter } from "./series";

const RESPONSE_FLAGS_PATH: string[] = ["response", "flags"];

export class TcpStatsContext extends TcpContext {
  private labels: PeerLabels | null = null;
  private series: TcpSeries | null = null;
  private host: string = "";

  onNewConnection(): FilterStatus {
    const root = changetype<StatsRoot>(this.root);
    const peers = root.peers;
    if (peers === null) return FilterStatus.Continue;
    const labels = peers.current();
    this.host = peers.resolvedServiceHost();
    const series = tcpSeries(root, labels, this.host, NO_FLAGS);
    this.labels = labels;
    this.series = series;
    addToCounter(series.opened, 1);
    return FilterStatus.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    const series = this.series;
    if (series !== null) changetype<StatsRoot>(this.root).flusher.addBytes(series, 0, dataSize);
    return FilterStatus.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    const series = this.series;
    if (series !== null) changetype<StatsRoot>(this.root).flusher.addBytes(series, dataSize, 0);
    return FilterStatus.Continue;
  }

  onLog(): void {
    const series = this.series;
    const labels = this.labels;
    if (series === null || labels === null) return;
    const root = changetype<StatsRoot>(this.root);
    const flags = responseFlagsString(<u64>getPropertyInt64(RESPONSE_FLAGS_PATH, 0));
    root.flusher.flushNow(series);
    const closing = flags == NO_FLAGS ? series : tcpSeries(root, labels, this.host, flags);
    addToCounter(closing.closed, 1);
    this.series = null;
  }
}

/** The istio_tcp_* series for `labels` with service host `host` and response_flags `flags`. */
export function tcpSeries(root: StatsRoot, labels: PeerLabels, host: string, flags: string): TcpSeries {
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

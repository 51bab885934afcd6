// Tunnel mode: an HTTP filter on the HBONE CONNECT terminate (after hbone-inbound and identity-rbac) that
// reports each CONNECT stream the way ztunnel reports an inbound HBONE connection: istio_tcp_* with
// request_protocol `tcp`; opened when the CONNECT headers arrive, received/sent bytes from the request/response
// body (the tunnelled payload), closed at the end of the stream with ztunnel's response flags:
// `DENY` when the CONNECT was refused with 401 or 403 (identity-rbac / Envoy RBAC), `CONNECT` when Envoy could
// not reach the local workload (UF or UH), otherwise Envoy's own flags (`-` normally).
// A CONNECT refused before this filter saw its headers is still counted as opened and closed (ztunnel counts
// the connection before its RBAC check).

import { FilterDataStatus, FilterHeadersStatus, HttpContext, getPropertyInt64 } from "../../sdk";
import { PeerLabels } from "./peer-labels";
import { FLAG_NO_HEALTHY_UPSTREAM, FLAG_UPSTREAM_CONNECTION_FAILURE, NO_FLAGS, responseFlagsString } from "./response-flags";
import { StatsRoot } from "./root";
import { TcpSeries, addToCounter } from "./series";
import { tcpSeries } from "./tcp-stream";

const RESPONSE_CODE_PATH: string[] = ["response", "code"];
const RESPONSE_FLAGS_PATH: string[] = ["response", "flags"];

export const FLAG_DENY = "DENY";
export const FLAG_CONNECT = "CONNECT";

export class TunnelStatsContext extends HttpContext {
  private labels: PeerLabels | null = null;
  private series: TcpSeries | null = null;
  private host: string = "";

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    this.open();
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    const series = this.series;
    if (series !== null) changetype<StatsRoot>(this.root).flusher.addBytes(series, 0, bodySize);
    return FilterDataStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    const series = this.series;
    if (series !== null) changetype<StatsRoot>(this.root).flusher.addBytes(series, bodySize, 0);
    return FilterDataStatus.Continue;
  }

  onLog(): void {
    if (this.series === null) this.open();
    const series = this.series;
    const labels = this.labels;
    if (series === null || labels === null) return;
    const root = changetype<StatsRoot>(this.root);
    const flags = tunnelFlags(getPropertyInt64(RESPONSE_CODE_PATH, 0), <u64>getPropertyInt64(RESPONSE_FLAGS_PATH, 0));
    root.flusher.flushNow(series);
    const closing = flags == NO_FLAGS ? series : tcpSeries(root, labels, this.host, flags);
    addToCounter(closing.closed, 1);
    this.series = null;
  }

  private open(): void {
    const root = changetype<StatsRoot>(this.root);
    const peers = root.peers;
    if (peers === null) return;
    const labels = peers.current();
    this.host = peers.resolvedServiceHost();
    const series = tcpSeries(root, labels, this.host, NO_FLAGS);
    this.labels = labels;
    this.series = series;
    addToCounter(series.opened, 1);
  }
}

/** ztunnel's response_flags for a CONNECT that ended with HTTP status `code` and Envoy flag bits `mask`. */
export function tunnelFlags(code: i64, mask: u64): string {
  if (code == 401 || code == 403) return FLAG_DENY;
  if ((mask & (FLAG_UPSTREAM_CONNECTION_FAILURE | FLAG_NO_HEALTHY_UPSTREAM)) != 0) return FLAG_CONNECT;
  return responseFlagsString(mask);
}

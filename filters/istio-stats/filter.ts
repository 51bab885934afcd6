// istio-stats: Istio's standard metrics from plain Envoy. The plugin's root_id picks the mode:
//   "http"   — HTTP filter: istio_requests_total, istio_request_duration_milliseconds, istio_request_bytes,
//              istio_response_bytes, istio_request/response_messages_total (gRPC)
//   "tcp"    — network filter: istio_tcp_connections_opened/closed_total, istio_tcp_sent/received_bytes_total
//   "tunnel" — HTTP filter on the HBONE CONNECT terminate: istio_tcp_* per CONNECT stream
// See README.md for the configuration, the labels and the stats_tags Envoy needs.
export * from "../../sdk/exports";
import { HttpContext, RootContext, TcpContext, registerRootContext } from "../../sdk";
import { HttpStatsContext } from "./http-stream";
import { Mode, StatsRoot } from "./root";
import { TcpStatsContext } from "./tcp-stream";
import { TunnelStatsContext } from "./tunnel-stream";

class HttpRoot extends StatsRoot {
  newHttpContext(contextId: u32): HttpContext | null {
    return new HttpStatsContext(contextId, this);
  }
}

class TcpRoot extends StatsRoot {
  newTcpContext(contextId: u32): TcpContext | null {
    return new TcpStatsContext(contextId, this);
  }
}

class TunnelRoot extends StatsRoot {
  newHttpContext(contextId: u32): HttpContext | null {
    return new TunnelStatsContext(contextId, this);
  }
}

registerRootContext("http", (id: u32): RootContext => new HttpRoot(id, Mode.Http));
registerRootContext("tcp", (id: u32): RootContext => new TcpRoot(id, Mode.Tcp));
registerRootContext("tunnel", (id: u32): RootContext => new TunnelRoot(id, Mode.Tunnel));

// istio-stats: Istio's standard metrics from plain Envoy. The plugin's root_id picks the mode:
//   "http"   — HTTP filter: istio_requests_total, istio_request_duration_milliseconds, istio_request_bytes,
//              istio_response_bytes, istio_request/response_messages_total (gRPC)
//   "tcp"    — network filter: istio_tcp_connections_opened/closed_total, istio_tcp_sent/received_bytes_total
//   "tunnel" — HTTP filter on the HBONE CONNECT terminate: istio_tcp_* per CONNECT stream
// See README.md for the configuration, the labels and the stats_tags Envoy needs.
export * from "../../sdk/exports";
import { RootContext, registerRootContext } from "../../sdk";
import { Mode, ROOT_ID_HTTP, ROOT_ID_TCP, ROOT_ID_TUNNEL } from "./mode";
import { StatsRoot } from "./root";

registerRootContext(ROOT_ID_HTTP, (id: u32): RootContext => new StatsRoot(id, Mode.Http));
registerRootContext(ROOT_ID_TCP, (id: u32): RootContext => new StatsRoot(id, Mode.Tcp));
registerRootContext(ROOT_ID_TUNNEL, (id: u32): RootContext => new StatsRoot(id, Mode.Tunnel));

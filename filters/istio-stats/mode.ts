// The three ways istio-stats runs, chosen by the plugin's root_id.

export enum Mode {
  /** HTTP filter: istio_requests_total & co. */
  Http = 0,
  /** Network filter: istio_tcp_* for the connection. */
  Tcp = 1,
  /** HTTP filter on the HBONE CONNECT terminate: istio_tcp_* for each CONNECT stream. */
  Tunnel = 2,
}

export const ROOT_ID_HTTP = "http";
export const ROOT_ID_TCP = "tcp";
export const ROOT_ID_TUNNEL = "tunnel";

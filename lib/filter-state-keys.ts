// The filter-state contract between the filters, Envoy and the Envoy configs: every key one part writes and another
// reads, defined once. No imports, and syntax both AssemblyScript (filters) and TypeScript (CLI, bench, tests) accept.
//
// Two kinds of key (docs/envoy-facts.md, "Filter state"):
// - `wasm.<name>`: what proxy_set_property(<name>) stores, a CelState of bytes. Written by a Wasm filter with
//   filters/common/filter-state.ts setWasmFilterState (which drops the `wasm.` prefix for the host call), read by
//   Wasm filters with get_property(["filter_state", key]) and by Envoy configs with %FILTER_STATE(key:PLAIN)%.
//   Never shared with an upstream or internal-listener connection.
// - `envoy.*`: objects built by one of Envoy's registered factories, written with set_envoy_filter_state (the key
//   names the factory) and read by Envoy itself.
//
// Lifetime: a network filter's writes live as long as the downstream connection; an HTTP filter's as long as the
// request stream (both are Envoy's FilterChain life span, the default of set_property).
//
// | key | written by | read by | encoding |
// |---|---|---|---|
// | TCP_PROXY_CLUSTER | hbone-outbound | tcp_proxy (cluster pick) | cluster name |
// | ORIGINAL_DST_ADDRESS | hbone-outbound, hbone-inbound | ORIGINAL_DST cluster (host to dial) | "ip:port", IPv6 bracketed |
// | DISABLE_TUNNELING | hbone-outbound (plain/passthrough/blackhole) | tcp_proxy (tunneling_config off) | "true" |
// | UPSTREAM_SUBJECT_ALT_NAMES | hbone-outbound (tunnelled) | upstream TLS (SAN check, pool key) | SPIFFE id |
// | HBONE_AUTHORITY | hbone-outbound | tcp_proxy tunneling_config.hostname (CONNECT :authority) | "ip:port" |
// | HBONE_BAGGAGE | hbone-outbound | tcp_proxy headers_to_add `baggage` | W3C baggage of the source workload |
// | HBONE_FORWARDED | hbone-outbound | tcp_proxy headers_to_add `forwarded` | RFC 7239 `for="ip:port"[;host=…]` |
// | HBONE_XFF | hbone-outbound | tcp_proxy headers_to_add `x-forwarded-for` | source IP |
// | HBONE_TRACEPARENT | hbone-outbound | tcp_proxy headers_to_add `traceparent` | W3C traceparent |
// | HBONE_ORIGINAL_DST | hbone-outbound | tcp_proxy headers_to_add `x-envoy-original-dst-host` | "ip:port" |
// | HBONE_ROUTE | hbone-outbound | istio-stats (source reporter) | hbone, waypoint, plain, passthrough or blackhole |
// | HBONE_SOURCE | hbone-outbound | istio-stats (source reporter) | `<SPIFFE id or empty>\n<baggage>` |
// | UPSTREAM_PEER | hbone-outbound, hbone-inbound, connect-headers | istio-stats | baggage of the destination workload |
// | UPSTREAM_PEER_PRINCIPAL | hbone-outbound (tunnelled), hbone-inbound | istio-stats | SPIFFE id |
// | UPSTREAM_SERVICE | hbone-outbound, hbone-inbound, connect-headers | istio-stats | service hostname |
// | DOWNSTREAM_PEER | hbone-inbound | istio-stats | baggage of the source workload (labels only, never identity) |
// | HBONE_CONNECT_TARGET | hbone-inbound | identity-rbac (connect mode) | `ip:port` exactly as the ORIGINAL_DST cluster dials it: the one parse of the CONNECT target, so the destination RBAC judges is the one Envoy dials (ztunnel authorizes the resolved workload and target port: istio/ztunnel:src/proxy/inbound.rs) |
// | CONNECT_AUTHORITY | connect-headers | Envoy configs (set_filter_state bridge, access logs) | the new `:authority` |
// | IDENTITY_RBAC_AUDIT_POLICY | identity-rbac (AUDIT match) | access logs | `ns[<ns>]-policy[<name>]-rule[<i>]` |
// | ISTIO_PEER_PRINCIPAL | waypoint config: set_filter_state (`%DOWNSTREAM_PEER_URI_SAN%`, envoy.string) | identity-rbac, istio-stats (`peerPrincipalFilterState`) | SPIFFE URI SANs joined by "," |
// | GRPC_STATS | Envoy's grpc_stats HTTP filter (`emit_filter_state`) | istio-stats (gRPC message counts) | object with fields request_message_count, response_message_count |
// | DOWNSTREAM_BAGGAGE | waypoint config: set_filter_state (`%REQ(baggage)%`, envoy.string) | istio-stats (`peerFilterState.downstream`) | the client's baggage (labels only) |
// | ORIGINAL_DST_LOCAL_IP, ORIGINAL_DST_REMOTE_IP | waypoint config: set_filter_state | original_dst listener filter of an internal listener | "ip:port" |
// | WAYPOINT_UPSTREAM_PEER | waypoint config: set_filter_state (the destination workload, envoy.string) | istio-stats (`peerFilterState.upstream`) | baggage-format labels of the destination |
// | WAYPOINT_UPSTREAM_PEER_PRINCIPAL | waypoint config: set_filter_state (envoy.string) | istio-stats (`peerFilterState.upstreamPrincipal`) | SPIFFE id of the destination |
//
// The last three cross into an internal listener (shared_with_upstream), where they have the connection's lifetime.

/** Prefix Envoy puts before every proxy_set_property name. */
export const WASM_PREFIX: string = "wasm.";

// Envoy factory keys (set_envoy_filter_state).
export const TCP_PROXY_CLUSTER: string = "envoy.tcp_proxy.cluster";
export const ORIGINAL_DST_ADDRESS: string = "envoy.network.transport_socket.original_dst_address";
export const DISABLE_TUNNELING: string = "envoy.tcp_proxy.disable_tunneling";
export const UPSTREAM_SUBJECT_ALT_NAMES: string = "envoy.network.upstream_subject_alt_names";

// The CONNECT request hbone-outbound prepares for tcp_proxy's tunneling_config.
export const HBONE_AUTHORITY: string = "wasm.hbone_authority";
export const HBONE_BAGGAGE: string = "wasm.hbone_baggage";
export const HBONE_FORWARDED: string = "wasm.hbone_forwarded";
export const HBONE_XFF: string = "wasm.hbone_xff";
export const HBONE_TRACEPARENT: string = "wasm.hbone_traceparent";
export const HBONE_ORIGINAL_DST: string = "wasm.hbone_original_dst";

// What the metrics filter learns about both ends.
export const HBONE_ROUTE: string = "wasm.hbone_route";
export const HBONE_SOURCE: string = "wasm.hbone_source";
export const UPSTREAM_PEER: string = "wasm.upstream_peer";
export const UPSTREAM_PEER_PRINCIPAL: string = "wasm.upstream_peer_principal";
export const UPSTREAM_SERVICE: string = "wasm.upstream_service";
export const DOWNSTREAM_PEER: string = "wasm.downstream_peer";
export const HBONE_CONNECT_TARGET: string = "wasm.hbone_connect_target";
export const CONNECT_AUTHORITY: string = "wasm.connect_authority";
export const IDENTITY_RBAC_AUDIT_POLICY: string = "wasm.identity_rbac.audit_policy";

// Written by Envoy's set_filter_state in the waypoint config, not by a Wasm filter.
export const ISTIO_PEER_PRINCIPAL: string = "io.istio.peer_principal";
export const DOWNSTREAM_BAGGAGE: string = "ambient_wasm.downstream_baggage";
export const WAYPOINT_UPSTREAM_PEER: string = "ambient_wasm.upstream_peer";
export const WAYPOINT_UPSTREAM_PEER_PRINCIPAL: string = "ambient_wasm.upstream_peer_principal";
export const ORIGINAL_DST_LOCAL_IP: string = "envoy.filters.listener.original_dst.local_ip";
export const ORIGINAL_DST_REMOTE_IP: string = "envoy.filters.listener.original_dst.remote_ip";

/** Written by Envoy's grpc_stats HTTP filter when it runs before istio-stats. */
export const GRPC_STATS: string = "envoy.filters.http.grpc_stats";

/** Every key above, for tests that check the Envoy configs use only keys of this contract. */
export const FILTER_STATE_KEYS: string[] = [
  TCP_PROXY_CLUSTER, ORIGINAL_DST_ADDRESS, DISABLE_TUNNELING, UPSTREAM_SUBJECT_ALT_NAMES,
  HBONE_AUTHORITY, HBONE_BAGGAGE, HBONE_FORWARDED, HBONE_XFF, HBONE_TRACEPARENT, HBONE_ORIGINAL_DST,
  HBONE_ROUTE, HBONE_SOURCE, UPSTREAM_PEER, UPSTREAM_PEER_PRINCIPAL, UPSTREAM_SERVICE, DOWNSTREAM_PEER, HBONE_CONNECT_TARGET,
  CONNECT_AUTHORITY, IDENTITY_RBAC_AUDIT_POLICY, ISTIO_PEER_PRINCIPAL, DOWNSTREAM_BAGGAGE,
  WAYPOINT_UPSTREAM_PEER, WAYPOINT_UPSTREAM_PEER_PRINCIPAL, ORIGINAL_DST_LOCAL_IP,
  ORIGINAL_DST_REMOTE_IP, GRPC_STATS,
];

// Filter-state keys hbone-outbound writes. Envoy keys go through set_envoy_filter_state (registered object
// factories, fact E §6); the others through set_property, which stores them as `wasm.<key>` (fact E §5) — the
// names the shipped tcp_proxy `tunneling_config` reads with %FILTER_STATE(wasm.<key>:PLAIN)%.

/** tcp_proxy cluster pick (source/common/tcp_proxy/tcp_proxy.cc PerConnectionCluster). */
export const TCP_PROXY_CLUSTER = "envoy.tcp_proxy.cluster";
/** ORIGINAL_DST cluster dial address "ip:port" (original_dst_cluster.cc filterStateOverrideHost). */
export const ORIGINAL_DST_ADDRESS = "envoy.network.transport_socket.original_dst_address";
/** "true" turns tcp_proxy's tunneling_config off for this connection (upstreams/tcp/generic/config.cc). */
export const DISABLE_TUNNELING = "envoy.tcp_proxy.disable_tunneling";
/** Exact SAN the upstream TLS peer must present (transport socket options from filter state). */
export const UPSTREAM_SUBJECT_ALT_NAMES = "envoy.network.upstream_subject_alt_names";

// set_property names (filter state `wasm.<name>`)
export const AUTHORITY = "hbone_authority";
export const BAGGAGE = "hbone_baggage";
export const FORWARDED = "hbone_forwarded";
export const X_FORWARDED_FOR = "hbone_xff";
export const TRACEPARENT = "hbone_traceparent";
export const ORIGINAL_DST_HOST = "hbone_original_dst";
/** hbone | waypoint | plain | passthrough | blackhole */
export const ROUTE = "hbone_route";
/**
 * The source workload for istio-stats (source reporter): `<SPIFFE id>\n<baggage>`, the SPIFFE id only on tunnelled
 * routes (ztunnel reports a source principal for HBONE only); set whenever the source is in the table.
 */
export const SOURCE = "hbone_source";
/** Destination workload metadata in baggage format (CONTRACTS.md). */
export const UPSTREAM_PEER = "upstream_peer";
/** SPIFFE id the tunnel peer must present (CONTRACTS.md). */
export const UPSTREAM_PEER_PRINCIPAL = "upstream_peer_principal";
/** Destination service hostname when the app dialled a service VIP. */
export const UPSTREAM_SERVICE = "upstream_service";

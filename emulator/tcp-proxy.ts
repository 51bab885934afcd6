// What Envoy's tcp_proxy does with a connection once the network filters before it ran: the cluster it picks,
// whether it tunnels, the CONNECT (or POST) request it sends, the address an ORIGINAL_DST cluster dials and the
// SANs the upstream certificate must carry. Plain JSON config in (TcpProxy as in a bootstrap), no I/O.
// - cluster: filter state `envoy.tcp_proxy.cluster` (PerConnectionCluster) wins over the configured route
//   (envoyproxy/envoy:source/common/tcp_proxy/tcp_proxy.cc, Filter::pickRoute);
// - tunnelling: configured `tunneling_config`, unless filter state `envoy.tcp_proxy.disable_tunneling` is a
//   true BoolAccessor (envoyproxy/envoy:source/extensions/upstreams/tcp/generic/config.cc);
// - the request: `:method` CONNECT (POST with `use_post`, then `:path` post_path and `:scheme`), `:authority` the
//   formatted hostname, then `headers_to_add` evaluated by the header parser — a header whose value formats to
//   the empty string is not added unless `keep_empty_value` (envoyproxy/envoy:source/common/tcp_proxy/upstream.cc,
//   envoyproxy/envoy:source/common/router/header_parser.cc);
// - ORIGINAL_DST: filter state `envoy.network.transport_socket.original_dst_address` first, else the downstream
//   connection's local address (envoyproxy/envoy:source/extensions/clusters/original_dst/original_dst_cluster.cc);
// - `envoy.network.upstream_subject_alt_names` pins the SANs the upstream certificate must match
//   (envoyproxy/envoy:source/common/network/upstream_subject_alt_names.cc);
// - given the clusters, a cluster that does not exist fails the connection with NoClusterFound and one without a
//   host to pick with NoHealthyUpstream (tcp_proxy.cc initializeUpstreamConnection); an ORIGINAL_DST cluster's
//   host is the original destination.
import type { FilterState } from "./filter-state.ts";

import {
  DISABLE_TUNNELING as DISABLE_TUNNELING_KEY,
  ORIGINAL_DST_ADDRESS as ORIGINAL_DST_ADDRESS_KEY,
  TCP_PROXY_CLUSTER as TCP_PROXY_CLUSTER_KEY,
  UPSTREAM_SUBJECT_ALT_NAMES as UPSTREAM_SANS_KEY,
} from "../lib/filter-state-keys.ts";

/** `envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy` as JSON (the parts that decide the upstream). */
export interface TcpProxyConfig {
  stat_prefix?: string;
  cluster?: string;
  weighted_clusters?: { clusters?: Array<{ name?: string; weight?: number }> };
  tunneling_config?: TunnelingConfig;
}

export interface TunnelingConfig {
  hostname?: string;
  use_post?: boolean;
  post_path?: string;
  headers_to_add?: Array<{
    header?: { key?: string; value?: string };
    append?: boolean;
    append_action?: "APPEND_IF_EXISTS_OR_ADD" | "ADD_IF_ABSENT" | "OVERWRITE_IF_EXISTS_OR_ADD" | "OVERWRITE_IF_EXISTS";
    keep_empty_value?: boolean;
  }>;
}

/** A cluster as far as tcp_proxy's host pick is concerned. */
export interface TcpProxyCluster {
  name: string;
  /** Discovery type, e.g. STATIC, ORIGINAL_DST, STRICT_DNS, EDS. */
  type: string;
  /** `ip:port` of the configured endpoints (STATIC). */
  endpoints: string[];
}

/** What the downstream connection offers the formatters and the load balancer. */
export interface TcpProxyConnection {
  filterState: FilterState;
  /** `ip:port` of the client (`%DOWNSTREAM_REMOTE_ADDRESS%`). */
  sourceAddress: string | null;
  /** `ip:port` the client dialled, as restored by the original_dst listener filter (`%DOWNSTREAM_LOCAL_ADDRESS%`). */
  destinationAddress: string | null;
  /** TLS SNI of the downstream connection (`%REQUESTED_SERVER_NAME%`). */
  requestedServerName?: string | null;
  /** The clusters that exist; unset = assume the cluster exists and has a host. */
  clusters?: TcpProxyCluster[];
}

export interface ConnectRequest {
  /** The request headers in the order Envoy adds them (pseudo-headers first). */
  headers: Array<[string, string]>;
  readonly authority: string;
  readonly method: string;
  /** The first value of a header, or null. */
  header(name: string): string | null;
}

export interface TcpProxyDecision {
  /** The cluster tcp_proxy connects to. */
  cluster: string;
  /** The cluster came from filter state `envoy.tcp_proxy.cluster`. */
  clusterFromFilterState: boolean;
  /** The connection is tunnelled (tunneling_config set and not disabled per connection). */
  tunnelled: boolean;
  /** The CONNECT/POST request, when tunnelled and an upstream connection is made (no upstreamFailure). */
  connect: ConnectRequest | null;
  /** Where an ORIGINAL_DST cluster dials: filter state first, else the downstream local address. */
  originalDestination: string | null;
  /** SANs the upstream certificate must match (`envoy.network.upstream_subject_alt_names`), or null. */
  upstreamSubjectAltNames: string[] | null;
  /** Why tcp_proxy closes the connection instead of connecting (response flag NC or UH), or null. */
  upstreamFailure: "NoClusterFound" | "NoHealthyUpstream" | null;
}

export class TcpProxyConfigError extends Error {}

const COMMAND = /%([A-Z_]+)(?:\(([^)]*)\))?%/g;

/**
 * Formats an Envoy substitution format string against the connection. `missing` is what an operator without a
 * value prints: "-" in the tunnel hostname (a plain formatter), "" in a header value (header formatters).
 */
export function formatTemplate(template: string, conn: TcpProxyConnection, missing: string): string {
  return template.replace(COMMAND, (whole, command: string, arg: string | undefined) => {
    const value = operator(command, arg, conn);
    if (value === undefined) throw new TcpProxyConfigError(`unsupported substitution ${whole} in ${JSON.stringify(template)}`);
    return value ?? missing;
  });
}

function withoutPort(address: string | null): string | null {
  if (address === null) return null;
  const i = address.lastIndexOf(":");
  return i < 0 ? address : address.slice(0, i).replace(/^\[(.*)\]$/, "$1");
}

function portOf(address: string | null): string | null {
  if (address === null) return null;
  const i = address.lastIndexOf(":");
  return i < 0 ? null : address.slice(i + 1);
}

/** One operator's value; null = no value; undefined = an operator this model does not know. */
function operator(command: string, arg: string | undefined, conn: TcpProxyConnection): string | null | undefined {
  switch (command) {
    case "FILTER_STATE": {
      const [key, serialization = "PLAIN", ...rest] = (arg ?? "").split(":");
      if (serialization !== "PLAIN" || rest.length > 0) return undefined;
      return conn.filterState.plain(key);
    }
    case "DOWNSTREAM_REMOTE_ADDRESS": return conn.sourceAddress;
    case "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT": return withoutPort(conn.sourceAddress);
    case "DOWNSTREAM_REMOTE_PORT": return portOf(conn.sourceAddress);
    case "DOWNSTREAM_LOCAL_ADDRESS": return conn.destinationAddress;
    case "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT": return withoutPort(conn.destinationAddress);
    case "DOWNSTREAM_LOCAL_PORT": return portOf(conn.destinationAddress);
    case "REQUESTED_SERVER_NAME": return conn.requestedServerName ? conn.requestedServerName : null;
    default: return undefined;
  }
}

function configuredCluster(config: TcpProxyConfig): string {
  if (config.cluster) return config.cluster;
  // weighted_clusters: the choice is random in Envoy; a model can only name the first candidate.
  const first = config.weighted_clusters?.clusters?.find((c) => c.name);
  if (first?.name) return first.name;
  throw new TcpProxyConfigError("tcp_proxy: neither cluster nor weighted_clusters is set");
}

function buildRequest(tunneling: TunnelingConfig, conn: TcpProxyConnection): ConnectRequest {
  const authority = formatTemplate(tunneling.hostname ?? "", conn, "-");
  const headers: Array<[string, string]> = [];
  if (tunneling.use_post) {
    headers.push([":method", "POST"], [":authority", authority], [":path", tunneling.post_path || "/"], [":scheme", "http"]);
  } else {
    headers.push([":method", "CONNECT"], [":authority", authority]);
  }
  for (const option of tunneling.headers_to_add ?? []) {
    const key = (option.header?.key ?? "").toLowerCase();
    const value = formatTemplate(option.header?.value ?? "", conn, "");
    if (value === "" && !option.keep_empty_value) continue;
    // HeaderValueOption: append_action defaults to APPEND_IF_EXISTS_OR_ADD; the deprecated `append: false`
    // means OVERWRITE_IF_EXISTS_OR_ADD (envoyproxy/envoy:api/envoy/config/core/v3/base.proto).
    const action = option.append_action ?? (option.append === false ? "OVERWRITE_IF_EXISTS_OR_ADD" : "APPEND_IF_EXISTS_OR_ADD");
    const exists = headers.some(([k]) => k === key);
    if (action === "ADD_IF_ABSENT" && exists) continue;
    if (action === "OVERWRITE_IF_EXISTS" && !exists) continue;
    if (action === "OVERWRITE_IF_EXISTS_OR_ADD" || action === "OVERWRITE_IF_EXISTS") {
      for (let i = headers.length - 1; i >= 0; i--) if (headers[i][0] === key) headers.splice(i, 1);
    }
    headers.push([key, value]);
  }
  return {
    headers,
    authority,
    method: headers[0][1],
    header: (name: string) => headers.find(([k]) => k === name.toLowerCase())?.[1] ?? null,
  };
}

function upstreamFailure(cluster: string, originalDestination: string | null, clusters: TcpProxyCluster[] | undefined): TcpProxyDecision["upstreamFailure"] {
  if (!clusters) return null;
  const c = clusters.find((x) => x.name === cluster);
  if (!c) return "NoClusterFound";
  if (c.type === "ORIGINAL_DST") return originalDestination === null ? "NoHealthyUpstream" : null;
  if (c.type === "STATIC" && c.endpoints.length === 0) return "NoHealthyUpstream";
  return null;
}

/** What tcp_proxy decides for a connection whose network filters already ran. */
export function tcpProxyDecision(config: TcpProxyConfig, conn: TcpProxyConnection): TcpProxyDecision {
  const perConnection = conn.filterState.plain(TCP_PROXY_CLUSTER_KEY);
  const cluster = perConnection ?? configuredCluster(config);
  const failure = upstreamFailure(cluster, conn.filterState.plain(ORIGINAL_DST_ADDRESS_KEY) ?? conn.destinationAddress, conn.clusters);
  const tunnelled = config.tunneling_config !== undefined && conn.filterState.plain(DISABLE_TUNNELING_KEY) !== "true";
  const sans = conn.filterState.plain(UPSTREAM_SANS_KEY);
  return {
    cluster,
    clusterFromFilterState: perConnection !== null,
    tunnelled,
    connect: tunnelled && failure === null ? buildRequest(config.tunneling_config!, conn) : null,
    originalDestination: conn.filterState.plain(ORIGINAL_DST_ADDRESS_KEY) ?? conn.destinationAddress,
    upstreamSubjectAltNames: sans === null ? null : sans.split(","),
    upstreamFailure: failure,
  };
}

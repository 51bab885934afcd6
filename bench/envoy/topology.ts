// The three Envoys of every bench case, all on loopback:
//
//   generator ──plaintext──▶ client Envoy :17000 ──mTLS as client/sleep, from 127.77.1.10──▶ DUT ──▶ backend 127.77.0.20:80
//
// The client Envoy plays the sleep pod's side (it presents client/sleep's certificate and binds the sleep pod's
// address), so the Envoy under test (DUT) sees what a mesh proxy sees: an mTLS peer with a SPIFFE identity. The DUT
// listens where the shipped configs put the inbound listeners of httpbin's pod (15443 HTTP over mTLS as in
// sidecar.yaml, 15006 TCP over mTLS, 15008 HBONE CONNECT terminate as in ztunnel.yaml). The backend answers every
// request with 1 KiB after reading the whole request body (buffer filter), or is a TCP sink for stream runs.
import { stringify } from "yaml";
import type { FilterEntry } from "./shipped-filters.ts";

export type Kind = "http" | "tcp" | "connect";
export type Protocol = "h1" | "h2";

export const ADDR = {
  generatorPort: 17000,
  clientAdmin: 17100,
  dutAdmin: 17101,
  backendAdmin: 17102,
  pod: "127.77.0.20",
  sleep: "127.77.1.10",
  backendPort: 80,
  sinkPort: 7000,
  dutPort: { http: 15443, tcp: 15006, connect: 15008 } as Record<Kind, number>,
};

const CERTS = "envoy-configs/certs";
const ROUTER = { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } };

function admin(port: number) {
  return { address: { socket_address: { address: "127.0.0.1", port_value: port } } };
}

function staticCluster(name: string, address: string, port: number, extra: Record<string, unknown> = {}) {
  return {
    name,
    type: "STATIC",
    connect_timeout: "2s",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: port } } } }] }] },
    ...extra,
  };
}

function protocolOptions(p: Protocol) {
  return {
    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
      "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
      explicit_http_config: p === "h2" ? { http2_protocol_options: { allow_connect: true } } : { http_protocol_options: {} },
    },
  };
}

function tls(side: "server" | "client", identity: string, alpn: string[]) {
  const common = {
    tls_params: { tls_minimum_protocol_version: "TLSv1_3", tls_maximum_protocol_version: "TLSv1_3" },
    alpn_protocols: alpn,
    tls_certificates: [{ certificate_chain: { filename: `${CERTS}/${identity}-cert.pem` }, private_key: { filename: `${CERTS}/${identity}-key.pem` } }],
    validation_context: {
      trusted_ca: { filename: `${CERTS}/root-cert.pem` },
      match_typed_subject_alt_names: [{ san_type: "URI", matcher: { prefix: "spiffe://cluster.local/" } }],
    },
  };
  return side === "server"
    ? { name: "envoy.transport_sockets.tls", typed_config: { "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", require_client_certificate: true, common_tls_context: common } }
    : { name: "envoy.transport_sockets.tls", typed_config: { "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", common_tls_context: common } };
}

function hcm(statPrefix: string, filters: FilterEntry[], cluster: string, extra: Record<string, unknown> = {}) {
  return {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
      stat_prefix: statPrefix,
      route_config: { virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster, timeout: "0s" } }] }] },
      http_filters: [...filters, ROUTER],
      ...extra,
    },
  };
}

function tcpProxy(statPrefix: string, cluster: string, extra: Record<string, unknown> = {}) {
  return {
    name: "envoy.filters.network.tcp_proxy",
    typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", stat_prefix: statPrefix, cluster, ...extra },
  };
}

function listener(name: string, address: string, port: number, chain: Record<string, unknown>) {
  return { name, address: { socket_address: { address, port_value: port } }, filter_chains: [chain] };
}

/** Where the CONNECT tunnels and TCP connections end: the HTTP backend, or the TCP sink of a stream run. */
export function targetPort(stream: boolean): number {
  return stream ? ADDR.sinkPort : ADDR.backendPort;
}

/** The generator's side: plaintext in, mTLS (or HBONE) out as client/sleep. */
export function clientConfig(kind: Kind, protocol: Protocol, stream = false, ports = { generator: ADDR.generatorPort, admin: ADDR.clientAdmin }): string {
  const dut = staticCluster("dut", ADDR.pod, ADDR.dutPort[kind], {
    upstream_bind_config: { source_address: { address: ADDR.sleep, port_value: 0 } },
    transport_socket: tls("client", "client-sleep", kind === "http" ? [protocol === "h2" ? "h2" : "http/1.1"] : kind === "connect" ? ["h2"] : []),
    ...(kind === "tcp" ? {} : { typed_extension_protocol_options: protocolOptions(kind === "connect" ? "h2" : protocol) }),
  });
  const chain = kind === "http"
    ? { filters: [hcm("client", [], "dut", { codec_type: "AUTO" })] }
    : { filters: [tcpProxy("client", "dut", kind === "connect" ? { tunneling_config: { hostname: `${ADDR.pod}:${targetPort(stream)}` } } : {})] };
  return stringify({
    admin: admin(ports.admin),
    static_resources: { listeners: [listener("generator", "127.0.0.1", ports.generator, chain)], clusters: [dut] },
  });
}

export interface DutFilters {
  /** HTTP filters (kind http, connect) before the router. */
  http?: FilterEntry[];
  /** Network filters (kind tcp) before tcp_proxy. */
  network?: FilterEntry[];
  /** The CONNECT target is chosen by hbone-inbound (ORIGINAL_DST from its filter state, as in ztunnel.yaml). */
  originalDst?: boolean;
}

/** The Envoy under test. */
export function dutConfig(kind: Kind, filters: DutFilters, stream = false, adminPort = ADDR.dutAdmin): string {
  const target = staticCluster("backend", ADDR.pod, targetPort(stream));
  let chain: Record<string, unknown>;
  const clusters: unknown[] = [target];
  if (kind === "http") {
    chain = {
      transport_socket: tls("server", "server-httpbin", ["h2", "http/1.1"]),
      filters: [hcm("dut", filters.http ?? [], "backend", { codec_type: "AUTO", use_remote_address: true, xff_num_trusted_hops: 0, normalize_path: true, merge_slashes: true })],
    };
  } else if (kind === "tcp") {
    chain = { transport_socket: tls("server", "server-httpbin", []), filters: [...(filters.network ?? []), tcpProxy("dut", "backend")] };
  } else {
    const cluster = filters.originalDst ? "inbound_app" : "backend";
    if (filters.originalDst) {
      clusters.push({ name: "inbound_app", type: "ORIGINAL_DST", lb_policy: "CLUSTER_PROVIDED", connect_timeout: "2s", cleanup_interval: "60s", original_dst_lb_config: { use_http_header: true } });
    }
    const manager = hcm("dut", filters.http ?? [], cluster, {
      codec_type: "HTTP2",
      http2_protocol_options: { allow_connect: true },
      upgrade_configs: [{ upgrade_type: "CONNECT" }],
      stream_idle_timeout: "0s",
    });
    const vh = (manager.typed_config.route_config as { virtual_hosts: { routes: unknown[] }[] }).virtual_hosts[0];
    vh.routes = [{ match: { connect_matcher: {} }, route: { cluster, upgrade_configs: [{ upgrade_type: "CONNECT", connect_config: {} }] } }];
    chain = { transport_socket: tls("server", "server-httpbin", ["h2"]), filters: [manager] };
  }
  return stringify({
    admin: admin(adminPort),
    static_resources: { listeners: [listener(`dut_${kind}`, ADDR.pod, ADDR.dutPort[kind], chain)], clusters },
  }, { aliasDuplicateObjects: false });
}

/** 1 KiB for every request, once the whole request body has arrived. */
export function backendConfig(): string {
  const body = "x".repeat(1024);
  const manager = {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
      stat_prefix: "backend",
      codec_type: "AUTO",
      route_config: { virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: body } } }] }] },
      http_filters: [
        { name: "envoy.filters.http.buffer", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer", max_request_bytes: 65536 } },
        ROUTER,
      ],
    },
  };
  return stringify({
    admin: admin(ADDR.backendAdmin),
    static_resources: { listeners: [listener("backend", ADDR.pod, ADDR.backendPort, { filters: [manager] })] },
  });
}

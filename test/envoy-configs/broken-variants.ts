// Shipped configs with one mistake each, shared by the validator's tests and the test that holds
// `ambient-wasm validate` against `envoy --mode validate`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { configDir } from "./shipped.ts";

export const read = (name: string) => readFileSync(join(configDir, name), "utf8");

/** `source` with the single occurrence of `find` replaced (the shipped file must contain it exactly once). */
export function mutate(source: string, find: string, replace: string): string {
  const count = source.split(find).length - 1;
  if (count !== 1) throw new Error(`expected exactly one ${JSON.stringify(find)}, found ${count}`);
  return source.replace(find, replace);
}

export interface Broken {
  name: string;
  file: string;
  find: string;
  replace: string;
  /** Every path that reaches the mistake (an anchor reused by two listeners: one error, the other path noted in it). */
  paths: string[];
  message: string | RegExp;
  /**
   * Set when `envoy --mode validate` accepts the variant and only `ambient-wasm validate` rejects it: why ours
   * deliberately checks more than Envoy does at configuration time.
   */
  stricterThanEnvoy?: string;
  /** Text on the line the (single) error must point at: the first at/after the change, else before it. Default: the changed line. */
  line?: string;
}

export const Z_OUT = "static_resources.listeners[0].filter_chains[0].filters";
export const Z_CAPTURE = "static_resources.listeners[1].filter_chains[0].filters";
export const Z_HBONE = "static_resources.listeners[2].filter_chains[0]";
export const Z_PLAIN = "static_resources.listeners[3].filter_chains[0].filters";

export const broken: Broken[] = [
  {
    name: "tcp_proxy names a cluster that does not exist",
    file: "ztunnel.yaml",
    find: "stat_prefix: ztunnel_inbound_plaintext\n          cluster: inbound_app",
    replace: "stat_prefix: ztunnel_inbound_plaintext\n          cluster: inbound_ap",
    paths: [`${Z_PLAIN}[2].typed_config.cluster`],
    message: 'cluster "inbound_ap", which is not defined',
    stricterThanEnvoy:
      "Envoy resolves a tcp_proxy cluster per connection (it may arrive later through CDS); in a bootstrap without CDS a missing static cluster can only mean every connection is closed",
  },
  {
    name: "a route names a cluster that does not exist (HCM shared by the mTLS and plaintext chains)",
    file: "sidecar.yaml",
    find: "route: { cluster: InboundPassthroughCluster, timeout: 0s }",
    replace: "route: { cluster: InboundPassthrough, timeout: 0s }",
    paths: [
      "static_resources.listeners[1].filter_chains[1].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster",
      "static_resources.listeners[1].filter_chains[2].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster",
    ],
    message: 'route names cluster "InboundPassthrough"',
  },
  {
    name: "an HTTP filter type in a network filter list",
    file: "ztunnel.yaml",
    find: '"@type": type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm\n          config:\n            name: istio-stats-plaintext',
    replace: '"@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm\n          config:\n            name: istio-stats-plaintext',
    paths: [`${Z_PLAIN}[1].typed_config`],
    message: "is a HTTP filter, but",
  },
  {
    name: "tcp_proxy is not the last network filter",
    file: "sidecar.yaml",
    find: "    - name: outbound_passthrough\n      filters:\n",
    replace: "    - name: outbound_passthrough\n      filters:\n      - name: envoy.filters.network.tcp_proxy\n        typed_config:\n          \"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy\n          stat_prefix: early\n          cluster: PassthroughCluster\n",
    paths: ["static_resources.listeners[0].filter_chains[1].filters[0]"],
    message: /terminal filter/,
  },
  {
    name: "a Wasm module path that does not exist",
    file: "ztunnel.yaml",
    find: "code: { local: { filename: build/hbone-outbound.wasm } }",
    replace: "code: { local: { filename: build/hbone-outbund.wasm } }",
    paths: [`${Z_OUT}[0].typed_config.config.vm_config.code.local.filename`, `${Z_CAPTURE}[0].typed_config.config.vm_config.code.local.filename`],
    message: 'Wasm module file "build/hbone-outbund.wasm" does not exist',
  },
  {
    name: "an hbone-inbound configuration proxy_on_configure rejects",
    file: "ztunnel.yaml",
    find: '"target": "both"',
    replace: '"target": "everywhere"',
    paths: [`${Z_HBONE}.filters[0].typed_config.http_filters[0].typed_config.config`],
    message: "hbone-inbound: invalid plugin configuration: $.target: must be one of filterState, header, both",
    line: "name: hbone-inbound",
  },
  {
    name: "an AuthorizationPolicy identity-rbac rejects (shared by two listeners)",
    file: "ztunnel.yaml",
    find: '"action": "ALLOW",\n                                    "rules": [ { "from": [ { "source": { "principals": ["cluster.local/ns/client/sa/sleep"]',
    replace: '"action": "PERMIT",\n                                    "rules": [ { "from": [ { "source": { "principals": ["cluster.local/ns/client/sa/sleep"]',
    paths: [`${Z_HBONE}.filters[0].typed_config.http_filters[1].typed_config.config`, `${Z_PLAIN}[0].typed_config.config`],
    message: "identity-rbac: invalid configuration: $.policies[0].spec.action",
    line: "name: identity-rbac",
  },
  {
    name: "an istio-stats duration proxy_on_configure rejects",
    file: "egress.yaml",
    find: '{ "reporter": "source",\n                      "local": { "name": "egress-gateway"',
    replace: '{ "reporter": "source", "tcpReportingDuration": "5 seconds",\n                      "local": { "name": "egress-gateway"',
    paths: ["static_resources.listeners[2].filter_chains[0].filters[0].typed_config.http_filters[1].typed_config.config"],
    message: "istio-stats: invalid configuration: $.tcpReportingDuration",
    line: "name: istio-stats-egress-tunnel",
  },
  {
    name: "internal listeners without the internal_listener bootstrap extension",
    file: "waypoint.yaml",
    find: "bootstrap_extensions:\n- name: envoy.bootstrap.internal_listener\n  typed_config:\n    \"@type\": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener\n",
    replace: "",
    paths: ["static_resources.listeners[1].internal_listener", "static_resources.listeners[2].internal_listener"],
    message: "needs the bootstrap extension envoy.bootstrap.internal_listener",
    line: "internal_listener: {}",
  },
  {
    name: "an internal address naming a listener that is not internal",
    file: "egress.yaml",
    find: "server_listener_name: egress_tunnel_api_example_com",
    replace: "server_listener_name: egress_http",
    paths: ["static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.envoy_internal_address.server_listener_name"],
    message: 'names listener "egress_http", which is not an internal listener',
    stricterThanEnvoy:
      "Envoy looks the internal listener up when a connection is made (listeners can be added later through LDS); statically such an address never connects",
  },
  {
    name: "a misspelt tunneling_config field",
    file: "waypoint.yaml",
    find: 'hostname: "%DOWNSTREAM_LOCAL_ADDRESS%"',
    replace: 'host_name: "%DOWNSTREAM_LOCAL_ADDRESS%"',
    paths: ["static_resources.listeners[2].filter_chains[0].filters[0].typed_config.tunneling_config.host_name", "static_resources.listeners[2].filter_chains[0].filters[0].typed_config.tunneling_config.hostname"],
    message: /unknown field "host_name"|at least 1 characters/,
  },
  {
    name: "a TLS version that does not exist",
    file: "waypoint.yaml",
    find: "tls_params: &tls13 { tls_minimum_protocol_version: TLSv1_3,",
    replace: "tls_params: &tls13 { tls_minimum_protocol_version: TLSv1_4,",
    paths: [
      "static_resources.listeners[0].filter_chains[0].transport_socket.typed_config.common_tls_context.tls_params.tls_minimum_protocol_version",
      "static_resources.clusters[3].transport_socket.typed_config.common_tls_context.tls_params.tls_minimum_protocol_version",
    ],
    message: 'invalid value "TLSv1_4"',
  },
  {
    name: "an ORIGINAL_DST cluster with a load-balancing policy of its own",
    file: "ztunnel.yaml",
    find: "  - name: inbound_app\n    type: ORIGINAL_DST\n    lb_policy: CLUSTER_PROVIDED",
    replace: "  - name: inbound_app\n    type: ORIGINAL_DST\n    lb_policy: ROUND_ROBIN",
    paths: ["static_resources.clusters[3].lb_policy"],
    message: "Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'",
  },
  {
    name: "a typed_config @type without the type.googleapis.com/ prefix",
    file: "app-server.yaml",
    find: '"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
    replace: '"@type": envoy.extensions.filters.http.router.v3.Router',
    paths: ["static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.@type"],
    message: /type\.googleapis\.com\//,
  },
];


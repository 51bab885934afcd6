// The measured cases: for each filter and mode (and the 15008 inbound chain) the plugins, their realistic
// configuration (each filter's fixtures/ or README example), the traffic of one operation, and a check that the
// operation took the intended decision path (an allowed identity, a table hit, baggage used ...).
// Shared by the benchmark (bench/run.ts) and the soak test (test/soak/).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { HeaderList, HostOptions, Props, TagSpecifier } from "../emulator/index.ts";
import type { Host, HttpStream, TcpConnection } from "../emulator/index.ts";
import { DOWNSTREAM_PEER, HBONE_AUTHORITY, HBONE_ROUTE, ORIGINAL_DST_ADDRESS } from "../lib/filter-state-keys.ts";

/** The emulator property that reads filter-state `key` (get_property ["filter_state", key]). */
const filterStateProperty = (key: string): string => "filter_state." + key;

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const modulePath = (filter: string) => `${ROOT}build/${filter}.wasm`;

/**
 * The lifecycle of one operation, and the floor module (bench/floor/<shape>.wat) that exports exactly the
 * callbacks it reaches.
 * - `http-headers`: request headers (end of stream), response headers (end of stream), log/done/delete.
 * - `http-tunnel`: CONNECT headers, 200, one request and one response data chunk (each ending its direction),
 *   log/done/delete — a short HBONE tunnel.
 * - `tcp`: accept, downstream data, upstream data with end of stream (the server closes), downstream close.
 */
export type Shape = "http-headers" | "http-tunnel" | "tcp";

export interface FilterSpec {
  /** build/<filter>.wasm */
  filter: string;
  name: string;
  rootId: string;
  vmId: string;
  configuration: string;
  listenerDirection?: "UNSPECIFIED" | "INBOUND" | "OUTBOUND";
}

export interface Scenario {
  name: string;
  shape: Shape;
  filters: FilterSpec[];
  hostOptions: HostOptions;
  /** Connection properties (HTTP: the downstream connection; TCP: the connection). */
  connection: Props;
  request?: HeaderList;
  response?: HeaderList;
  /** Throws when one operation did not take the intended path. */
  verify(host: Host, op: HttpStream | TcpConnection): void;
  /** Throws when the host's counters do not show exactly `ops` operations on the intended path. */
  verifyCount(host: Host, ops: number): void;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(`${ROOT}${path}`, "utf8"));

const ID = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
const SLEEP_DEFAULT = ID("default", "sleep");
const HTTPBIN_DEFAULT = ID("default", "httpbin");

/** Bootstrap stats_tags of the istio-stats wiring (its envoy.yaml), so metrics are tagged as Envoy would. */
export function istioStatsTags(): TagSpecifier[] {
  const path = `${ROOT}filters/istio-stats/envoy.yaml`;
  if (!existsSync(path)) return [];
  return (parseYaml(readFileSync(path, "utf8")) as { stats_config: { stats_tags: TagSpecifier[] } }).stats_config.stats_tags;
}

/** Node metadata of the httpbin pod's proxy (Istio's keys), used by istio-stats for the local labels. */
export const HTTPBIN_NODE = {
  WORKLOAD_NAME: "httpbin",
  NAMESPACE: "default",
  CLUSTER_ID: "Kubernetes",
  LABELS: {
    app: "httpbin", version: "v1",
    "service.istio.io/canonical-name": "httpbin", "service.istio.io/canonical-revision": "v1",
  },
};

/** What hbone-inbound publishes for sleep (the source IP is in its workload table). */
export const SLEEP_BAGGAGE =
  "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=latest";

/** A ztunnel-originated CONNECT to httpbin's port 80, with the headers ztunnel sends. */
export const HBONE_CONNECT: HeaderList = [
  [":method", "CONNECT"],
  [":authority", "10.0.1.20:80"],
  ["baggage", "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=latest"],
  ["forwarded", 'for="10.0.0.10:45678";host=httpbin.default.svc.cluster.local'],
  ["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"],
];

export const HBONE_CONNECTION: Props = {
  "source.address": "10.0.0.10:45678",
  "destination.address": "10.0.1.20:15008",
  "connection.mtls": true,
  "connection.uri_san_peer_certificate": SLEEP_DEFAULT,
  "connection.uri_san_local_certificate": HTTPBIN_DEFAULT,
};

const OK_200: HeaderList = [[":status", "200"]];

const GET = (path: string, authority: string): HeaderList => [
  [":method", "GET"], [":path", path], [":authority", authority], [":scheme", "http"],
  ["user-agent", "curl/8.5.0"], ["accept", "*/*"],
];

const RESPONSE_200: HeaderList = [
  [":status", "200"], ["content-type", "application/json"], ["content-length", "0"], ["server", "envoy"],
];

function fail(scenario: string, what: string): never {
  throw new Error(`${scenario}: ${what}`);
}

function expectCounter(host: Host, scenario: string, fullName: string, want: number): void {
  const got = host.metric(fullName);
  if (got !== want) fail(scenario, `${fullName} = ${got}, expected ${want}`);
}

/** The value of the first Prometheus sample of `metric` whose labels include every `labels` pair. */
function promSample(host: Host, metric: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of host.prometheus().split("\n")) {
    if (!line.startsWith(metric + "{")) continue;
    if (want.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

function expectProm(host: Host, scenario: string, metric: string, labels: Record<string, string>, want: number): void {
  const got = promSample(host, metric, labels);
  if (got !== want) fail(scenario, `${metric}{${JSON.stringify(labels)}} = ${got}, expected ${want}`);
}

// ---- configurations ----------------------------------------------------------------------------------------

const EXAMPLE_HEADER_CONFIG = {
  response_header: { name: "x-served-by", value: "ambient-wasm" },
  deny_paths: ["/admin"],
  deny_status: 403,
};

/** istio-stats as the destination reporter on httpbin (its README/test configuration). */
const ISTIO_STATS_INBOUND = {
  reporter: "destination",
  destinationService: { host: "httpbin.default.svc.cluster.local", name: "httpbin", namespace: "default" },
};

/** identity-rbac's README example: allow sleep, a dry-run DENY on /admin*. */
const RBAC_README_CONFIG = {
  workload: { name: "httpbin", namespace: "foo", labels: { app: "httpbin", version: "v1" } },
  rootNamespace: "istio-system",
  policies: [
    { name: "allow-sleep", namespace: "foo",
      spec: { rules: [{ from: [{ source: { principals: ["cluster.local/ns/foo/sa/sleep"] } }] }] } },
    { name: "deny-admin", namespace: "foo", dryRun: true,
      spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }] } },
  ],
};
const FOO_SLEEP = ID("foo", "sleep");

const json = (v: unknown) => JSON.stringify(v);

// ---- the cases ---------------------------------------------------------------------------------------------

function exampleHeader(): Scenario {
  const name = "example-header/http";
  return {
    name, shape: "http-headers",
    filters: [{ filter: "example-header", name: "example-header", rootId: "example-header", vmId: "example-header", configuration: json(EXAMPLE_HEADER_CONFIG) }],
    hostOptions: { logLevel: "info" },
    connection: { "source.address": "10.0.0.10:40000", "destination.address": "10.0.1.20:80" },
    request: GET("/get?x=1", "httpbin.default.svc.cluster.local"),
    response: RESPONSE_200,
    verify(_host, op) {
      const s = op as HttpStream;
      if (s.localResponse) fail(name, `local reply ${s.localResponse.status}`);
      const h = (s.downstreamResponse.headers ?? []).filter(([k]) => k === "x-served-by");
      if (h.length !== 1 || h[0][1] !== "ambient-wasm") fail(name, "x-served-by not set");
    },
    verifyCount(host, ops) { expectCounter(host, name, "wasmcustom.example_header_requests_total", ops); },
  };
}

function istioStatsHttp(): Scenario {
  const name = "istio-stats/http";
  const labels = { response_code: "200", reporter: "destination", source_workload: "sleep", source_principal: SLEEP_DEFAULT, destination_workload: "httpbin", connection_security_policy: "mutual_tls" };
  return {
    name, shape: "http-headers",
    filters: [{ filter: "istio-stats", name: "istio-stats", rootId: "http", vmId: "istio-stats", configuration: json(ISTIO_STATS_INBOUND), listenerDirection: "INBOUND" }],
    hostOptions: { logLevel: "info", statsTags: istioStatsTags(), nodeMetadata: HTTPBIN_NODE },
    connection: {
      "source.address": "10.0.0.10:51000", "destination.address": "10.0.1.20:80", "connection.mtls": true,
      "connection.uri_san_peer_certificate": SLEEP_DEFAULT, "connection.uri_san_local_certificate": HTTPBIN_DEFAULT,
      [filterStateProperty(DOWNSTREAM_PEER)]: SLEEP_BAGGAGE,
    },
    request: GET("/status/200", "httpbin.default.svc.cluster.local:8000"),
    response: RESPONSE_200,
    verify() {},
    verifyCount(host, ops) { expectProm(host, name, "istio_requests_total", labels, ops); },
  };
}

function istioStatsTcp(): Scenario {
  const name = "istio-stats/tcp";
  const labels = { reporter: "destination", source_workload: "sleep", source_principal: SLEEP_DEFAULT, destination_workload: "httpbin" };
  return {
    name, shape: "tcp",
    filters: [{ filter: "istio-stats", name: "istio-stats-tcp", rootId: "tcp", vmId: "istio-stats", configuration: json({ ...ISTIO_STATS_INBOUND, tcpReportingDuration: "5s" }), listenerDirection: "INBOUND" }],
    hostOptions: { logLevel: "info", statsTags: istioStatsTags(), nodeMetadata: HTTPBIN_NODE },
    connection: {
      "source.address": "10.0.0.10:51000", "destination.address": "10.0.1.20:80", "connection.mtls": true,
      "connection.uri_san_peer_certificate": SLEEP_DEFAULT, "connection.uri_san_local_certificate": HTTPBIN_DEFAULT,
      [filterStateProperty(DOWNSTREAM_PEER)]: SLEEP_BAGGAGE,
    },
    verify() {},
    verifyCount(host, ops) {
      expectProm(host, name, "istio_tcp_connections_opened_total", labels, ops);
      expectProm(host, name, "istio_tcp_connections_closed_total", labels, ops);
      expectProm(host, name, "istio_tcp_received_bytes_total", labels, ops * REQUEST_BYTES.length);
      expectProm(host, name, "istio_tcp_sent_bytes_total", labels, ops * RESPONSE_BYTES.length);
    },
  };
}

function identityRbacHttp(): Scenario {
  const name = "identity-rbac/http";
  return {
    name, shape: "http-headers",
    filters: [{ filter: "identity-rbac", name: "rbac", rootId: "identity-rbac-l7", vmId: "identity-rbac", configuration: json(RBAC_README_CONFIG) }],
    hostOptions: { logLevel: "info" },
    connection: { "source.address": "10.1.0.7:40000", "destination.address": "10.0.0.5:8000", "connection.mtls": true, "connection.uri_san_peer_certificate": FOO_SLEEP },
    request: GET("/info", "httpbin.foo.svc.cluster.local"),
    response: RESPONSE_200,
    verify(_host, op) {
      const s = op as HttpStream;
      if (s.localResponse) fail(name, `denied: ${s.localResponse.status} ${s.localResponse.details}`);
    },
    verifyCount(host, ops) {
      expectCounter(host, name, "wasmcustom.identity_rbac.l7.allowed", ops);
      if (host.metric("wasmcustom.identity_rbac.l7.denied")) fail(name, "denials counted");
    },
  };
}

function identityRbacTcp(): Scenario {
  const name = "identity-rbac/tcp";
  return {
    name, shape: "tcp",
    filters: [{ filter: "identity-rbac", name: "rbac", rootId: "identity-rbac-l4", vmId: "identity-rbac", configuration: json(RBAC_README_CONFIG) }],
    hostOptions: { logLevel: "info" },
    connection: { "source.address": "10.1.0.7:40000", "destination.address": "10.0.0.5:8000", "connection.mtls": true, "connection.uri_san_peer_certificate": FOO_SLEEP },
    verify(_host, op) {
      const c = op as TcpConnection;
      if (c.toUpstream.length !== REQUEST_BYTES.length) fail(name, "request bytes not forwarded (denied?)");
    },
    verifyCount(host, ops) { expectCounter(host, name, "wasmcustom.identity_rbac.l4.allowed", ops); },
  };
}

function hboneOutboundTcp(): Scenario {
  const name = "hbone-outbound/tcp";
  return {
    name, shape: "tcp",
    filters: [{ filter: "hbone-outbound", name: "hbone-outbound", rootId: "", vmId: "hbone-outbound", configuration: json(readJson("filters/hbone-outbound/fixtures/config.json")), listenerDirection: "OUTBOUND" }],
    hostOptions: { logLevel: "info" },
    // sleep dials httpbin's service VIP: tunnelled to httpbin's pod on 15008.
    connection: { "source.address": "10.0.0.10:40000", "destination.address": "10.96.0.20:8000" },
    verify(_host, op) {
      const c = op as TcpConnection;
      const route = c.filterState.plain(HBONE_ROUTE);
      const dst = c.filterState.plain(ORIGINAL_DST_ADDRESS);
      if (route !== "hbone" || dst !== "10.0.1.20:15008") fail(name, `route ${route} → ${dst}, expected hbone → 10.0.1.20:15008`);
      if (c.filterState.plain(HBONE_AUTHORITY) !== "10.0.1.20:80") fail(name, "wrong CONNECT authority");
    },
    verifyCount() {},
  };
}

function hboneInboundHttp(): Scenario {
  const name = "hbone-inbound/http";
  return {
    name, shape: "http-tunnel",
    filters: [{ filter: "hbone-inbound", name: "hbone-inbound", rootId: "hbone-inbound", vmId: "hbone-inbound", configuration: json(readJson("filters/hbone-inbound/fixtures/config.json")) }],
    hostOptions: { logLevel: "info" },
    connection: HBONE_CONNECTION,
    request: HBONE_CONNECT,
    response: OK_200,
    verify(_host, op) {
      const s = op as HttpStream;
      if (s.localResponse) fail(name, `refused: ${s.localResponse.status} ${s.localResponse.details}`);
      if (s.filterState.plain(ORIGINAL_DST_ADDRESS) !== "10.0.1.20:80") fail(name, "no original_dst_address");
      if (s.filterState.plain(DOWNSTREAM_PEER) !== SLEEP_BAGGAGE) fail(name, `downstream_peer ${s.filterState.plain(DOWNSTREAM_PEER)}`);
    },
    verifyCount() {},
  };
}

function connectHeadersHttp(): Scenario {
  const name = "connect-headers/http";
  return {
    name, shape: "http-tunnel",
    filters: [{ filter: "connect-headers", name: "connect-headers", rootId: "", vmId: "connect-headers", configuration: json(readJson("filters/connect-headers/fixtures/config.json")) }],
    hostOptions: { logLevel: "info" },
    // sleep's TLS to www.example.com leaves through the egress forward proxy (target from the SNI).
    connection: { "source.address": "10.0.0.10:40000", "destination.address": "10.0.5.1:15001", "connection.requested_server_name": "www.example.com" },
    request: [[":method", "CONNECT"], [":authority", "93.184.215.14:443"], ["user-agent", "sleep"], ["baggage", "forged=1"], ["x-forwarded-for", "6.6.6.6"]],
    response: OK_200,
    verify(_host, op) {
      const s = op as HttpStream;
      if (s.localResponse) fail(name, `refused: ${s.localResponse.status} ${s.localResponse.details}`);
      const auth = (s.upstreamRequest.headers ?? []).find(([k]) => k === ":authority")?.[1];
      if (auth !== "www.example.com:443") fail(name, `:authority ${auth}`);
      const baggage = (s.upstreamRequest.headers ?? []).filter(([k]) => k === "baggage").map(([, v]) => v);
      if (baggage.length !== 1 || !baggage[0].includes("k8s.deployment.name=sleep")) fail(name, `baggage ${baggage}`);
    },
    verifyCount() {},
  };
}

/**
 * The Wasm filters of one listener of the shipped ztunnel configuration (envoy-configs/ztunnel.yaml): the HTTP
 * filters of its connection manager, or its network filters, in order, with root ids, VM ids and
 * configurations as Envoy would load them. 15008 = HBONE terminate, 15001 = outbound capture.
 */
export function ztunnelWasmFilters(port: number): FilterSpec[] {
  const doc = parseYaml(readFileSync(`${ROOT}envoy-configs/ztunnel.yaml`, "utf8"), { maxAliasCount: -1 }) as any;
  const listener = doc.static_resources.listeners.find((l: any) => l.address?.socket_address?.port_value === port);
  if (!listener) throw new Error(`envoy-configs/ztunnel.yaml has no ${port} listener`);
  const network = listener.filter_chains[0].filters as any[];
  const hcm = network.find((f) => f.name === "envoy.filters.network.http_connection_manager");
  const filters: any[] = hcm ? hcm.typed_config.http_filters : network;
  const specs: FilterSpec[] = [];
  for (const f of filters) {
    if (f.name !== "envoy.filters.http.wasm" && f.name !== "envoy.filters.network.wasm") continue;
    const c = f.typed_config.config;
    const file: string = c.vm_config.code.local.filename;
    specs.push({
      filter: file.replace(/^.*\//, "").replace(/\.wasm$/, ""), name: c.name, rootId: c.root_id ?? "", vmId: c.vm_config.vm_id ?? "",
      configuration: c.configuration.value, listenerDirection: listener.traffic_direction ?? "UNSPECIFIED",
    });
  }
  return specs;
}

/** Traffic of the shipped ztunnel configuration: sleep (client, node-a) → httpbin (server, this node). */
export const ZTUNNEL = {
  sleep: "spiffe://cluster.local/ns/client/sa/sleep",
  intruder: "spiffe://cluster.local/ns/other/sa/intruder",
  httpbin: "spiffe://cluster.local/ns/server/sa/httpbin",
  connect: [
    [":method", "CONNECT"], [":authority", "10.77.0.20:80"],
    ["baggage", "k8s.cluster.name=Kubernetes,k8s.namespace.name=client,k8s.deployment.name=sleep,service.name=sleep,service.version=v1"],
    ["forwarded", 'for="10.77.1.10:45678";host=httpbin.server.svc.cluster.local'],
    ["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"],
  ] as HeaderList,
  connection: {
    "source.address": "10.77.1.10:45678", "destination.address": "10.77.0.20:15008", "connection.mtls": true,
    "connection.uri_san_peer_certificate": "spiffe://cluster.local/ns/client/sa/sleep",
    "connection.uri_san_local_certificate": "spiffe://cluster.local/ns/server/sa/httpbin",
  } as Props,
};

function inboundChain(): Scenario {
  const name = "chain/inbound-http";
  const labels = { reporter: "destination", source_workload: "sleep", source_principal: ZTUNNEL.sleep, destination_workload: "httpbin", response_flags: "-" };
  return {
    name, shape: "http-tunnel",
    filters: ztunnelWasmFilters(15008),
    hostOptions: { logLevel: "info", statsTags: istioStatsTags() },
    connection: ZTUNNEL.connection,
    request: ZTUNNEL.connect,
    response: OK_200,
    verify(_host, op) {
      const s = op as HttpStream;
      if (s.localResponse) fail(name, `refused: ${s.localResponse.status} ${s.localResponse.details}`);
      if (s.upstreamRequest.body.length !== REQUEST_BYTES.length) fail(name, "tunnel bytes not forwarded");
      if (s.filterState.plain(ORIGINAL_DST_ADDRESS) !== "10.77.0.20:80") fail(name, "no original_dst_address");
    },
    verifyCount(host, ops) {
      expectCounter(host, name, "wasmcustom.identity_rbac.connect.allowed", ops);
      expectProm(host, name, "istio_tcp_connections_opened_total", labels, ops);
      expectProm(host, name, "istio_tcp_connections_closed_total", labels, ops);
      expectProm(host, name, "istio_tcp_received_bytes_total", labels, ops * REQUEST_BYTES.length);
      expectProm(host, name, "istio_tcp_sent_bytes_total", labels, ops * RESPONSE_BYTES.length);
    },
  };
}

/** Payloads of one operation: an HTTP/1 request through the tunnel / TCP connection, and its response. */
export const REQUEST_BYTES = new Uint8Array(Buffer.from("GET /get HTTP/1.1\r\nHost: httpbin\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n".padEnd(512, " ")));
export const RESPONSE_BYTES = new Uint8Array(Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 935\r\n\r\n".padEnd(1024, "x")));

/** A case, or why it cannot run yet (a fixture not written yet). */
export interface ScenarioEntry {
  name: string;
  scenario: Scenario | null;
  missing?: string;
}

const CASES: Array<[string, () => Scenario]> = [
  ["istio-stats/http", istioStatsHttp],
  ["istio-stats/tcp", istioStatsTcp],
  ["identity-rbac/http", identityRbacHttp],
  ["identity-rbac/tcp", identityRbacTcp],
  ["hbone-outbound/tcp", hboneOutboundTcp],
  ["hbone-inbound/http", hboneInboundHttp],
  ["connect-headers/http", connectHeadersHttp],
  ["example-header/http", exampleHeader],
  ["chain/inbound-http", inboundChain],
];

/** Every case, in report order. */
export function scenarios(): ScenarioEntry[] {
  return CASES.map(([name, make]) => {
    try {
      return { name, scenario: make() };
    } catch (err) {
      return { name, scenario: null, missing: err instanceof Error ? err.message : String(err) };
    }
  });
}

// istio-stats through the emulator: the Prometheus lines Envoy would print for representative traffic.
//
// Expected lines are written from Istio's conventions (istio-facts §3; istio/proxy istio_stats.cc and the
// Wasm-era extensions/stats plugin) and Envoy's /stats/prometheus format, with labels in the order of the
// stats_tags in envoy.yaml (Envoy applies tag extractors in configuration order).
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FilterState, Host, LifeSpan, PluginLoadError } from "../../emulator/index.ts";
import type { HeaderList, Props, TagSpecifier } from "../../emulator/index.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";

const MODULE = "build/istio-stats.wasm";
const LOCAL_REPLY_MODULE = "build/test/istio-stats/local-reply.wasm";
const ENVOY_YAML = parse(readFileSync(new URL("./envoy.yaml", import.meta.url), "utf8"));
const STATS_TAGS: TagSpecifier[] = ENVOY_YAML.stats_config.stats_tags;
const TAG_ORDER: string[] = STATS_TAGS.map((t) => t.tag_name);

beforeAll(async () => {
  await compileAssemblyScript("filters/istio-stats/filter.ts", MODULE);
  await compileAssemblyScript("filters/istio-stats/fixtures/local-reply-filter.ts", LOCAL_REPLY_MODULE);
});

// ---- scenario data ---------------------------------------------------------------------------------------

const HTTPBIN_NODE = {
  WORKLOAD_NAME: "httpbin",
  NAMESPACE: "default",
  CLUSTER_ID: "Kubernetes",
  LABELS: {
    app: "httpbin",
    version: "v1",
    "service.istio.io/canonical-name": "httpbin",
    "service.istio.io/canonical-revision": "v1",
  },
};
const SLEEP_SAN = "spiffe://cluster.local/ns/sleep-ns/sa/sleep";
const HTTPBIN_SAN = "spiffe://cluster.local/ns/default/sa/httpbin";
/** What hbone-inbound publishes for a ztunnel-sent baggage (istio-facts §1.4 key order). */
const SLEEP_BAGGAGE = "k8s.cluster.name=Kubernetes,k8s.namespace.name=sleep-ns,k8s.deployment.name=sleep,service.name=sleep,service.version=v2";
const HTTPBIN_BAGGAGE = "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=httpbin,service.name=httpbin,service.version=v1";
const INBOUND_CONFIG = JSON.stringify({
  reporter: "destination",
  destinationService: { host: "httpbin.default.svc.cluster.local", name: "httpbin", namespace: "default" },
});

/** Labels Istio gives an mTLS request from sleep (peer known from baggage) to httpbin, reported by httpbin. */
const SLEEP_TO_HTTPBIN: Record<string, string> = {
  reporter: "destination",
  source_workload: "sleep",
  source_workload_namespace: "sleep-ns",
  source_principal: SLEEP_SAN,
  source_app: "sleep", // baggage service.name also gives the app (metadata_object.cc)
  source_version: "v2",
  source_cluster: "Kubernetes",
  destination_workload: "httpbin",
  destination_workload_namespace: "default",
  destination_principal: HTTPBIN_SAN,
  destination_app: "httpbin",
  destination_version: "v1",
  destination_service: "httpbin.default.svc.cluster.local",
  destination_service_name: "httpbin",
  destination_service_namespace: "default",
  destination_cluster: "Kubernetes",
  connection_security_policy: "mutual_tls",
  source_canonical_service: "sleep",
  destination_canonical_service: "httpbin",
  source_canonical_revision: "v2",
  destination_canonical_revision: "v1",
};

/** Labels for a plaintext request from an unknown client: `unknown` everywhere, `latest` revision, `none` policy. */
const UNKNOWN_TO_HTTPBIN: Record<string, string> = {
  ...SLEEP_TO_HTTPBIN,
  source_workload: "unknown",
  source_workload_namespace: "unknown",
  source_principal: "unknown",
  source_app: "unknown",
  source_version: "unknown",
  source_cluster: "unknown",
  source_canonical_service: "unknown",
  source_canonical_revision: "latest",
  destination_principal: "unknown",
  connection_security_policy: "none",
};

const HTTP_ONLY = ["response_code", "grpc_response_status"];
const TCP_ONLY = ["request_protocol", "response_flags", "connection_security_policy"];

/** Envoy's Prometheus sample line: labels in stats_tags order, `name{k="v",...} value`. */
function line(metric: string, labels: Record<string, string>, value: number | string): string {
  const parts = TAG_ORDER.filter((t) => t in labels).map((t) => `${t}="${escapeLabel(labels[t])}"`);
  for (const extra of Object.keys(labels)) if (!TAG_ORDER.includes(extra)) parts.push(`${extra}="${escapeLabel(labels[extra])}"`);
  return `${metric}{${parts.join(",")}} ${value}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function httpLabels(base: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  return { ...base, request_protocol: "http", response_flags: "-", grpc_response_status: "", ...extra };
}

function tcpLabels(base: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { ...base, request_protocol: "tcp", response_flags: "-", ...extra };
  for (const k of HTTP_ONLY) delete out[k];
  return out;
}

/** The 20 peer labels used by istio_request/response_messages_total. */
function peerLabels(base: Record<string, string>): Record<string, string> {
  const out = { ...base };
  for (const k of [...HTTP_ONLY, ...TCP_ONLY]) delete out[k];
  return out;
}

function promLines(host: Host): string[] {
  return host.prometheus().split("\n").filter((l) => l.startsWith("istio_"));
}

async function inboundHttp(options: { nodeMetadata?: Record<string, unknown>; configuration?: string; withLocalReply?: boolean } = {}) {
  const host = new Host({ statsTags: STATS_TAGS, nodeMetadata: options.nodeMetadata ?? HTTPBIN_NODE });
  const filters = [];
  if (options.withLocalReply) filters.push(await host.loadPlugin({ module: LOCAL_REPLY_MODULE, name: "local-reply", vmId: "lr" }));
  filters.push(await host.loadPlugin({
    module: MODULE, name: "istio-stats", rootId: "http", vmId: "stats", configuration: options.configuration ?? INBOUND_CONFIG,
  }));
  return { host, filters };
}

const MTLS_CONNECTION: Props = {
  "source.address": "10.0.0.10:51000",
  "destination.address": "10.0.0.20:8000",
  "connection.mtls": true,
  "connection.uri_san_peer_certificate": SLEEP_SAN,
  "connection.uri_san_local_certificate": HTTPBIN_SAN,
};

const GET: HeaderList = [[":method", "GET"], [":path", "/get"], [":authority", "httpbin:8000"], [":scheme", "http"]];

// ---- HTTP ------------------------------------------------------------------------------------------------

describe("istio-stats HTTP (reporter=destination)", () => {
  it("reports an mTLS request from a peer known by its baggage with Istio's full label set", async () => {
    const { host, filters } = await inboundHttp();
    for (let i = 0; i < 2; i++) {
      const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
      s.sendRequestHeaders([[":method", "POST"], [":path", "/post"], [":authority", "httpbin:8000"], [":scheme", "http"]]);
      s.sendRequestBody("x".repeat(300), true);
      host.advanceTime(12);
      s.sendResponseHeaders([[":status", "200"]]);
      s.sendResponseBody("y".repeat(1200), true);
      s.complete();
    }
    const lines = promLines(host);
    // Written out once in full: this is the line Istio's dashboards query.
    expect(lines).toContain(
      'istio_requests_total{response_code="200",reporter="destination",source_workload="sleep",' +
        'source_workload_namespace="sleep-ns",source_principal="spiffe://cluster.local/ns/sleep-ns/sa/sleep",' +
        'source_app="sleep",source_version="v2",source_cluster="Kubernetes",destination_workload="httpbin",' +
        'destination_workload_namespace="default",destination_principal="spiffe://cluster.local/ns/default/sa/httpbin",' +
        'destination_app="httpbin",destination_version="v1",destination_service="httpbin.default.svc.cluster.local",' +
        'destination_service_name="httpbin",destination_service_namespace="default",destination_cluster="Kubernetes",' +
        'request_protocol="http",response_flags="-",grpc_response_status="",connection_security_policy="mutual_tls",' +
        'source_canonical_service="sleep",destination_canonical_service="httpbin",source_canonical_revision="v2",' +
        'destination_canonical_revision="v1"} 2',
    );
    const labels = httpLabels(SLEEP_TO_HTTPBIN, { response_code: "200" });
    // 12 ms: Envoy's default buckets 10 < 12 <= 25.
    expect(lines).toContain(line("istio_request_duration_milliseconds_bucket", { ...labels, le: "10" }, 0));
    expect(lines).toContain(line("istio_request_duration_milliseconds_bucket", { ...labels, le: "25" }, 2));
    expect(lines).toContain(line("istio_request_duration_milliseconds_count", labels, 2));
    // request.total_size = 300 body bytes + header bytes (250 < x <= 500).
    expect(lines).toContain(line("istio_request_bytes_bucket", { ...labels, le: "250" }, 0));
    expect(lines).toContain(line("istio_request_bytes_bucket", { ...labels, le: "500" }, 2));
    expect(lines).toContain(line("istio_request_bytes_count", labels, 2));
    // response.total_size = 1200 body bytes + header bytes (1000 < x <= 2500). Values are chosen away from the
    // bucket bounds: Envoy's histograms (libcircllhist) keep two significant digits and count a bound's whole
    // bin as below it (hist_approx_count_below_inclusive), so 1010 would already count under le="1000".
    expect(lines).toContain(line("istio_response_bytes_bucket", { ...labels, le: "1000" }, 0));
    expect(lines).toContain(line("istio_response_bytes_bucket", { ...labels, le: "2500" }, 2));
    expect(lines).toContain(line("istio_response_bytes_bucket", { ...labels, le: "+Inf" }, 2));
    expect(lines).toContain(line("istio_response_bytes_count", labels, 2));
    expect(host.traps).toEqual([]);
  });

  it("labels a plaintext request from an unknown client unknown/latest/none", async () => {
    const { host, filters } = await inboundHttp();
    const s = host.httpStream({ filters, connection: { "source.address": "10.0.0.99:40000", "destination.address": "10.0.0.20:8000" } });
    s.sendRequestHeaders(GET, true);
    s.sendResponseHeaders([[":status", "404"]], true);
    s.complete();
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels(UNKNOWN_TO_HTTPBIN, { response_code: "404" }), 1));
  });

  it("labels a plaintext request the same after mTLS connections taught it the local certificate", async () => {
    // The learned local principal belongs to mTLS connections; a plaintext one (no certificates) gets `unknown`,
    // as on a fresh VM, so labels do not depend on what the VM saw before.
    const { host, filters } = await inboundHttp();
    const mtls = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
    mtls.sendRequestHeaders(GET, true);
    mtls.sendResponseHeaders([[":status", "200"]], true);
    mtls.complete();
    const plain = host.httpStream({ filters, connection: { "source.address": "10.0.0.99:40000", "destination.address": "10.0.0.20:8000" } });
    plain.sendRequestHeaders(GET, true);
    plain.sendResponseHeaders([[":status", "404"]], true);
    plain.complete();
    const lines = promLines(host);
    expect(lines).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, { response_code: "200" }), 1));
    expect(lines).toContain(line("istio_requests_total", httpLabels(UNKNOWN_TO_HTTPBIN, { response_code: "404" }), 1));
  });

  it("counts gRPC calls with grpc_response_status and message counts from grpc_stats", async () => {
    const { host, filters } = await inboundHttp();
    const s = host.httpStream({
      filters, connection: MTLS_CONNECTION,
      properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE, "filter_state.envoy.filters.http.grpc_stats": "3,2" },
    });
    s.sendRequestHeaders([[":method", "POST"], [":path", "/pkg.Echo/Stream"], [":authority", "httpbin:8000"], [":scheme", "http"],
      ["content-type", "application/grpc+proto"]]);
    s.sendRequestBody(new Uint8Array(15), true);
    s.sendResponseHeaders([[":status", "200"], ["content-type", "application/grpc"]]);
    s.sendResponseBody(new Uint8Array(10));
    s.sendResponseTrailers([["grpc-status", "14"]]);
    s.complete();
    const lines = promLines(host);
    expect(lines).toContain(line("istio_requests_total",
      httpLabels(SLEEP_TO_HTTPBIN, { response_code: "200", request_protocol: "grpc", grpc_response_status: "14" }), 1));
    expect(lines).toContain(line("istio_request_messages_total", peerLabels(SLEEP_TO_HTTPBIN), 3));
    expect(lines).toContain(line("istio_response_messages_total", peerLabels(SLEEP_TO_HTTPBIN), 2));
  });

  it("treats gRPC-Web (application/grpc-web) as http, as Envoy's gRPC test does", async () => {
    const { host, filters } = await inboundHttp();
    const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
    s.sendRequestHeaders([...GET, ["content-type", "application/grpc-web+proto"]], true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, { response_code: "200" }), 1));
  });

  it("reports the message counts of a long gRPC stream on the timer, then the rest at its end", async () => {
    const { host, filters } = await inboundHttp();
    const properties: Props = { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE, "filter_state.envoy.filters.http.grpc_stats": "2,1" };
    const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties });
    s.sendRequestHeaders([[":method", "POST"], [":path", "/pkg.Echo/Stream"], [":authority", "httpbin:8000"], [":scheme", "http"],
      ["content-type", "application/grpc"]]);
    s.sendResponseHeaders([[":status", "200"], ["content-type", "application/grpc"]]);
    host.advanceTime(5000); // tcpReportingDuration default: 5s
    let lines = promLines(host);
    expect(lines).toContain(line("istio_request_messages_total", peerLabels(SLEEP_TO_HTTPBIN), 2));
    expect(lines).toContain(line("istio_response_messages_total", peerLabels(SLEEP_TO_HTTPBIN), 1));
    expect(lines.some((l) => l.startsWith("istio_requests_total"))).toBe(false);
    properties["filter_state.envoy.filters.http.grpc_stats"] = "5,7";
    s.sendRequestBody(new Uint8Array(5), true);
    s.sendResponseTrailers([["grpc-status", "0"]]);
    s.complete();
    lines = promLines(host);
    expect(lines).toContain(line("istio_request_messages_total", peerLabels(SLEEP_TO_HTTPBIN), 5));
    expect(lines).toContain(line("istio_response_messages_total", peerLabels(SLEEP_TO_HTTPBIN), 7));
    expect(lines).toContain(line("istio_requests_total",
      httpLabels(SLEEP_TO_HTTPBIN, { response_code: "200", request_protocol: "grpc", grpc_response_status: "0" }), 1));
    host.advanceTime(5000); // a finished stream is no longer reported
    expect(promLines(host)).toContain(line("istio_request_messages_total", peerLabels(SLEEP_TO_HTTPBIN), 5));
  });

  it("keeps reporting the gRPC streams still open when others end or are reset", async () => {
    const { host, filters } = await inboundHttp();
    const grpcRequest: HeaderList = [[":method", "POST"], [":path", "/pkg.Echo/Stream"], [":authority", "httpbin:8000"],
      [":scheme", "http"], ["content-type", "application/grpc"]];
    // Three live streams from three peers (one label set each); the middle one finishes, the first is reset.
    const peers = ["a", "b", "c"].map((name) => `k8s.namespace.name=sleep-ns,k8s.deployment.name=${name},service.name=${name}`);
    const props: Props[] = peers.map((peer) => ({ "filter_state.wasm.downstream_peer": peer, "filter_state.envoy.filters.http.grpc_stats": "1,1" }));
    const streams = props.map((properties) => {
      const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties });
      s.sendRequestHeaders(grpcRequest);
      s.sendResponseHeaders([[":status", "200"], ["content-type", "application/grpc"]]);
      return s;
    });
    const messages = (name: string) => line("istio_request_messages_total",
      peerLabels({ ...SLEEP_TO_HTTPBIN, source_workload: name, source_app: name, source_canonical_service: name,
        source_version: "unknown", source_canonical_revision: "latest", source_cluster: "unknown" }), "");
    const count = (name: string) => {
      const prefix = messages(name);
      const found = promLines(host).find((l) => l.startsWith(prefix));
      return found === undefined ? undefined : Number(found.slice(prefix.length));
    };
    for (const p of props) p["filter_state.envoy.filters.http.grpc_stats"] = "2,2";
    streams[1].sendRequestBody(new Uint8Array(5), true);
    streams[1].sendResponseTrailers([["grpc-status", "0"]]);
    streams[1].complete();
    streams[0].complete(); // ends without a response: reset
    expect([count("a"), count("b"), count("c")]).toEqual([2, 2, undefined]);
    for (const p of props) p["filter_state.envoy.filters.http.grpc_stats"] = "4,4";
    host.advanceTime(5000);
    expect([count("a"), count("b"), count("c")]).toEqual([2, 2, 4]);
    expect(host.traps).toEqual([]);
  });

  it("counts local replies of earlier filters with their code and Envoy's response flags", async () => {
    const { host, filters } = await inboundHttp({ withLocalReply: true });
    const denied = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
    denied.sendRequestHeaders([...GET, ["x-test-local-reply", "403"]], true);
    denied.complete();
    expect(denied.localResponse?.status).toBe(403);
    // Envoy's router answering 404 for no route sets NR; a 503 after retries UF,URX (bits 5 and 15).
    const noRoute = host.httpStream({ filters, connection: MTLS_CONNECTION,
      properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE, "response.flags": 1 << 8 } });
    noRoute.sendRequestHeaders([...GET, ["x-test-local-reply", "404"]], true);
    noRoute.complete();
    const retries = host.httpStream({ filters, connection: MTLS_CONNECTION,
      properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE, "response.flags": (1 << 5) | (1 << 15) } });
    retries.sendRequestHeaders([...GET, ["x-test-local-reply", "503"]], true);
    retries.complete();
    const lines = promLines(host);
    expect(lines).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, { response_code: "403" }), 1));
    expect(lines).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, { response_code: "404", response_flags: "NR" }), 1));
    expect(lines).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, { response_code: "503", response_flags: "UF,URX" }), 1));
  });

  it("prints Envoy's short names up to UnconditionalDropOverload (bit 29) and appends unknown bits as the mask", async () => {
    // envoy/stream_info/stream_info.h: DownstreamRemoteReset = 28, UnconditionalDropOverload = 29 = LastFlag.
    const { host, filters } = await inboundHttp();
    const cases: Array<[number, string]> = [
      [2 ** 29, "UDO"],
      [2 ** 28 + 2 ** 29, "DR,UDO"],
      [(1 << 1) | (1 << 27), "UH,DO"],
      [2 ** 30 + (1 << 5), "UF,1073741856"], // the Wasm plugin's convention: the whole mask as a number
    ];
    // A mask with the top bit set prints as the unsigned 64-bit value it is.
    const topBit: [bigint, string] = [2n ** 63n + 32n, "UF,9223372036854775840"];
    for (const flags of [...cases.map((c) => c[0]), topBit[0]]) {
      const s = host.httpStream({ filters, connection: MTLS_CONNECTION,
        properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE, "response.flags": flags } });
      s.sendRequestHeaders(GET, true);
      s.sendResponseHeaders([[":status", "503"]], true);
      s.complete();
    }
    const lines = promLines(host);
    for (const [, text] of [...cases, topBit]) {
      expect(lines).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, { response_code: "503", response_flags: text }), 1));
    }
  });

  it("reports response_code 0 for a request reset before any response", async () => {
    const { host, filters } = await inboundHttp();
    const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE,
      "response.flags": 1 << 14 } });
    s.sendRequestHeaders(GET, true);
    s.complete();
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, { response_code: "0", response_flags: "DC" }), 1));
  });

  it("takes the local workload from node metadata when the configuration names no service", async () => {
    const { host, filters } = await inboundHttp({ configuration: '{"reporter":"destination","disableHostHeaderFallback":true}' });
    const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
    s.sendRequestHeaders(GET, true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    // istio_stats.cc: with no service known the destination reporter names its canonical service and namespace.
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, {
      response_code: "200", destination_service: "httpbin", destination_service_name: "httpbin",
    }), 1));
  });

  it("falls back to the Host header for destination_service unless disabled", async () => {
    const { host, filters } = await inboundHttp({ configuration: '{"reporter":"destination"}' });
    const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
    s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "httpbin.default.svc.cluster.local:8000"], [":scheme", "http"]], true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, {
      response_code: "200", destination_service: "httpbin.default.svc.cluster.local:8000", destination_service_name: "httpbin",
    }), 1));
  });

  it("never takes the peer identity or metadata from request headers", async () => {
    const { host, filters } = await inboundHttp();
    const s = host.httpStream({ filters, connection: { "source.address": "10.0.0.99:40000", "destination.address": "10.0.0.20:8000" } });
    s.sendRequestHeaders([...GET,
      ["baggage", SLEEP_BAGGAGE], ["x-forwarded-client-cert", `By=${HTTPBIN_SAN};URI=${SLEEP_SAN}`],
      ["x-envoy-peer-metadata-id", "sidecar~10.0.0.10~sleep.sleep-ns~sleep-ns.svc.cluster.local"]], true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels(UNKNOWN_TO_HTTPBIN, { response_code: "200" }), 1));
  });
});

describe("istio-stats HTTP (reporter=source)", () => {
  it("describes the destination from hbone-outbound's filter state and the source from the configuration", async () => {
    const host = new Host({ statsTags: STATS_TAGS });
    const plugin = await host.loadPlugin({
      module: MODULE, rootId: "http", configuration: JSON.stringify({
        reporter: "source",
        local: { workload: "sleep", namespace: "sleep-ns", app: "sleep", version: "v2", canonicalService: "sleep",
          canonicalRevision: "v2", cluster: "Kubernetes", principal: SLEEP_SAN },
      }),
    });
    const s = host.httpStream({ filters: [plugin], connection: {
      "filter_state.wasm.upstream_peer": HTTPBIN_BAGGAGE, "filter_state.wasm.upstream_peer_principal": HTTPBIN_SAN,
      "filter_state.wasm.upstream_service": "httpbin.default.svc.cluster.local",
    } });
    s.sendRequestHeaders(GET, true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, {
      reporter: "source", response_code: "200", connection_security_policy: "unknown",
      destination_principal: HTTPBIN_SAN,
    }), 1));
  });
});

describe("istio-stats HTTP (reporter=waypoint)", () => {
  it("describes both peers from filter state; a missing destination revision is unknown, not latest", async () => {
    const host = new Host({ statsTags: STATS_TAGS });
    const plugin = await host.loadPlugin({ module: MODULE, rootId: "http", configuration: JSON.stringify({
      reporter: "waypoint",
      destinationService: { host: "httpbin.default.svc.cluster.local", name: "httpbin", namespace: "default" },
    }) });
    const s = host.httpStream({ filters: [plugin], connection: {
      ...MTLS_CONNECTION, "connection.uri_san_local_certificate": "spiffe://cluster.local/ns/default/sa/waypoint",
    }, properties: {
      "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE,
      "filter_state.wasm.upstream_peer": "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=httpbin,service.name=httpbin",
      "filter_state.wasm.upstream_peer_principal": HTTPBIN_SAN,
    } });
    s.sendRequestHeaders(GET, true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    // istio_stats.cc ServerGateway: destination revision/version default to unknown.
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, {
      reporter: "waypoint", response_code: "200", destination_version: "unknown", destination_canonical_revision: "unknown",
    }), 1));
  });
});

// ---- hostile input ------------------------------------------------------------------------------------------

describe("istio-stats hostile peer metadata", () => {
  it("keeps separators and control characters from baggage out of the stat name", async () => {
    const { host, filters } = await inboundHttp();
    // Percent-decoding (lib/baggage) turns %3B/%3D/%0A into ; = and a newline.
    const hostile = "k8s.deployment.name=evil%3B.%3Bdestination_service%3D.%3Dpwned,k8s.namespace.name=ns=.=x," +
      "service.name=%0Ainjected,service.version=" + "v".repeat(400) + ",k8s.cluster.name=c%3B.";
    const s = host.httpStream({ filters, connection: { "source.address": "10.0.0.99:40000" },
      properties: { "filter_state.wasm.downstream_peer": hostile } });
    s.sendRequestHeaders(GET, true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    const lines = promLines(host);
    expect(lines).toContain(line("istio_requests_total", httpLabels(UNKNOWN_TO_HTTPBIN, {
      response_code: "200",
      source_workload: "evil_._destination_service_._pwned",
      source_workload_namespace: "ns_._x",
      source_app: "_injected",
      source_canonical_service: "_injected",
      source_version: "v".repeat(256),
      source_canonical_revision: "v".repeat(256),
      source_cluster: "c_.", // a trailing ";." would otherwise merge with the ";.;" that follows
    }), 1));
    // Every istio_ metric kept its plain name: nothing leaked into it.
    for (const l of lines) expect(l).toMatch(/^istio_[a-z_]+(\{| )/);
    expect(host.traps).toEqual([]);
  });

  it("keeps every stat name well-formed for arbitrary peer metadata", async () => {
    const { host, filters } = await inboundHttp();
    const text = fc.string({ unit: "binary", maxLength: 40 });
    await fc.assert(fc.asyncProperty(text, text, text, async (workload, namespace, app) => {
      const baggage = `k8s.deployment.name=${encodeURIComponent(workload)},k8s.namespace.name=${encodeURIComponent(namespace)},` +
        `service.name=${encodeURIComponent(app)}`;
      const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": baggage } });
      s.sendRequestHeaders(GET, true);
      s.sendResponseHeaders([[":status", "200"]], true);
      s.complete();
    }), { numRuns: 150 });
    expect(host.traps).toEqual([]);
    const requests = promLines(host).filter((l) => l.startsWith("istio_requests_total{"));
    expect(requests.length).toBeGreaterThan(0);
    for (const l of requests) {
      const labels = [...l.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
      expect(labels).toEqual(TAG_ORDER);
      expect(l).toMatch(/\} [0-9]+$/);
    }
  });

  it("survives baggage over the W3C limits (peer treated as unknown)", async () => {
    const { host, filters } = await inboundHttp();
    const s = host.httpStream({ filters, connection: { "source.address": "10.0.0.99:40000" },
      properties: { "filter_state.wasm.downstream_peer": "k8s.namespace.name=" + "a".repeat(9000) } });
    s.sendRequestHeaders(GET, true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels(UNKNOWN_TO_HTTPBIN, { response_code: "200" }), 1));
  });

  it("keeps its memory flat when every request brings a different oversized peer value and Host", async () => {
    const { host, filters } = await inboundHttp({ configuration: '{"reporter":"destination"}' });
    const memoryPages = () => (filters[0] as unknown as { vm: { mem: { memory: WebAssembly.Memory } } }).vm.mem.memory.buffer.byteLength / 65536;
    const send = (i: number) => {
      const s = host.httpStream({ filters, connection: { ...MTLS_CONNECTION, "connection.uri_san_peer_certificate": `${SLEEP_SAN}-${i}-${"p".repeat(20000)}` },
        properties: { "filter_state.wasm.downstream_peer": `k8s.deployment.name=w${i},` + "k8s.namespace.name=n".repeat(4000) } });
      s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", `h${i}.` + "x".repeat(30000)], [":scheme", "http"]], true);
      s.sendResponseHeaders([[":status", "200"]], true);
      s.complete();
    };
    for (let i = 0; i < 200; i++) send(i);
    const warm = memoryPages();
    for (let i = 200; i < 600; i++) send(i);
    // Each label set's cache key would hold ~100 KB of text: unbounded, 600 of them reached 512 MB. The caches keep
    // at most ~2 MB of text, and what is left is garbage between the SDK's collections.
    expect(memoryPages()).toBe(warm);
    expect(warm).toBeLessThanOrEqual(1024);
    expect(host.traps).toEqual([]);
    const requests = promLines(host).filter((l) => l.startsWith("istio_requests_total{"));
    expect(requests.length).toBe(600);
    // Over the W3C limit the baggage describes no one; labels show at most 256 characters of the rest.
    expect(requests[0]).toContain('source_workload="unknown"');
    expect(requests[0]).toMatch(/destination_service="h\d+\.x{250,}"/);
  });
});

// ---- TCP ----------------------------------------------------------------------------------------------------

describe("istio-stats TCP", () => {
  async function tcpPlugin(host: Host, configuration: string, listenerDirection?: "INBOUND" | "OUTBOUND") {
    return host.loadPlugin({ module: MODULE, rootId: "tcp", configuration, listenerDirection });
  }

  it("reports opened/closed/bytes as the destination (reporter from the listener direction)", async () => {
    const host = new Host({ statsTags: STATS_TAGS, nodeMetadata: HTTPBIN_NODE });
    const plugin = await tcpPlugin(host, JSON.stringify({
      destinationService: { host: "httpbin.default.svc.cluster.local", name: "httpbin", namespace: "default" },
    }), "INBOUND");
    const c = host.tcpConnection({ filters: [plugin], properties: { ...MTLS_CONNECTION, "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
    c.open();
    c.downstreamData("a".repeat(100), false);
    c.upstreamData("b".repeat(250), false);
    c.downstreamData("a".repeat(20), false);
    c.closeDownstream("remote");
    const labels = tcpLabels(SLEEP_TO_HTTPBIN);
    const lines = promLines(host);
    expect(lines).toContain(line("istio_tcp_connections_opened_total", labels, 1));
    expect(lines).toContain(line("istio_tcp_connections_closed_total", labels, 1));
    expect(lines).toContain(line("istio_tcp_received_bytes_total", labels, 120));
    expect(lines).toContain(line("istio_tcp_sent_bytes_total", labels, 250));
  });

  it("flushes byte counters on the reporting timer before the connection closes", async () => {
    const host = new Host({ statsTags: STATS_TAGS, nodeMetadata: HTTPBIN_NODE });
    const plugin = await tcpPlugin(host, JSON.stringify({ reporter: "destination", tcpReportingDuration: "5s",
      destinationService: { host: "httpbin.default.svc.cluster.local", name: "httpbin", namespace: "default" } }));
    const c = host.tcpConnection({ filters: [plugin], properties: { ...MTLS_CONNECTION, "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
    c.open();
    c.downstreamData("a".repeat(100), false);
    c.upstreamData("b".repeat(40), false);
    const labels = tcpLabels(SLEEP_TO_HTTPBIN);
    expect(promLines(host)).not.toContain(line("istio_tcp_received_bytes_total", labels, 100));
    host.advanceTime(5000);
    let lines = promLines(host);
    expect(lines).toContain(line("istio_tcp_received_bytes_total", labels, 100));
    expect(lines).toContain(line("istio_tcp_sent_bytes_total", labels, 40));
    expect(lines).toContain(line("istio_tcp_connections_opened_total", labels, 1));
    // Defined together with the others (as Istio's Wasm plugin resolved every metric of a label set at once),
    // so Envoy already prints it, at 0.
    expect(lines).toContain(line("istio_tcp_connections_closed_total", labels, 0));
    c.downstreamData("a".repeat(7), false);
    c.closeDownstream("local");
    lines = promLines(host);
    expect(lines).toContain(line("istio_tcp_received_bytes_total", labels, 107));
    expect(lines).toContain(line("istio_tcp_connections_closed_total", labels, 1));
  });

  it("reports as the source from hbone-outbound's filter state, closed with Envoy's final response flags", async () => {
    const host = new Host({ statsTags: STATS_TAGS });
    const plugin = await tcpPlugin(host, JSON.stringify({ local: { principal: SLEEP_SAN, cluster: "Kubernetes" } }), "OUTBOUND");
    const properties: Props = {
      "source.address": "10.0.0.10:51000", "destination.address": "10.96.0.20:8000",
      "filter_state.wasm.upstream_peer": HTTPBIN_BAGGAGE, "filter_state.wasm.upstream_peer_principal": HTTPBIN_SAN,
      "filter_state.wasm.upstream_service": "httpbin.default.svc.cluster.local",
      // baggage alone (no principal line): the source principal is the configured local one
      "filter_state.wasm.hbone_source": SLEEP_BAGGAGE,
    };
    const c = host.tcpConnection({ filters: [plugin], properties });
    c.open();
    c.downstreamData("GET / HTTP/1.1\r\n\r\n", false);
    c.upstreamData("HTTP/1.1 200 OK\r\n\r\n", false);
    // tcp_proxy gave up on the upstream: Envoy sets UF (bit 5) on the connection's stream info.
    // (The emulator reads the connection's properties live.)
    properties["response.flags"] = 1 << 5;
    c.closeDownstream("remote");
    const labels = tcpLabels(SLEEP_TO_HTTPBIN, { reporter: "source", connection_security_policy: "unknown" });
    const lines = promLines(host);
    expect(lines).toContain(line("istio_tcp_connections_opened_total", labels, 1));
    expect(lines).toContain(line("istio_tcp_received_bytes_total", labels, 18));
    expect(lines).toContain(line("istio_tcp_sent_bytes_total", labels, 19));
    expect(lines).toContain(line("istio_tcp_connections_closed_total", { ...labels, response_flags: "UF" }, 1));
  });

  it("labels a connection without peer information unknown", async () => {
    const host = new Host({ statsTags: STATS_TAGS, nodeMetadata: HTTPBIN_NODE });
    const plugin = await tcpPlugin(host, '{"reporter":"destination"}');
    const c = host.tcpConnection({ filters: [plugin], properties: { "source.address": "10.0.0.99:40000", "destination.address": "10.0.0.20:8000" } });
    c.open();
    c.closeDownstream("remote");
    const labels = tcpLabels({ ...UNKNOWN_TO_HTTPBIN, destination_service: "httpbin", destination_service_name: "httpbin" });
    const lines = promLines(host);
    expect(lines).toContain(line("istio_tcp_connections_opened_total", labels, 1));
    expect(lines).toContain(line("istio_tcp_connections_closed_total", labels, 1));
  });
});

describe("istio-stats source reporter on a node-level proxy (hbone-outbound's routes)", () => {
  // The workload table hbone-outbound routes with (lib/workloads.ts); sleep's entry describes exactly SLEEP_BAGGAGE.
  const TABLE = [
    { name: "sleep", namespace: "sleep-ns", kind: "deployment", addresses: ["10.0.0.10"], identity: SLEEP_SAN, canonicalRevision: "v2" },
    { name: "httpbin", namespace: "default", kind: "deployment", addresses: ["10.0.0.20"], identity: HTTPBIN_SAN, canonicalRevision: "v1",
      services: [{ hostname: "httpbin.default.svc.cluster.local", vips: ["10.96.0.20"], ports: [{ port: 8000, targetPort: 80 }] }] },
  ];
  // The node's proxy knows no workload of its own: everything about the source comes from hbone-outbound.
  const NODE_CONFIG = JSON.stringify({ reporter: "source", local: { cluster: "Kubernetes" } });
  /** wasm.hbone_source as hbone-outbound publishes it for sleep: identity (tunnelled routes only), then baggage. */
  const SLEEP_TUNNELLED = SLEEP_SAN + "\n" + SLEEP_BAGGAGE;
  const SLEEP_PLAIN = "\n" + SLEEP_BAGGAGE;
  /** What hbone-outbound publishes for sleep → httpbin service over HBONE. */
  const TUNNEL: Props = {
    "source.address": "10.0.0.10:51000", "destination.address": "10.96.0.20:8000",
    "filter_state.wasm.upstream_peer": HTTPBIN_BAGGAGE, "filter_state.wasm.upstream_peer_principal": HTTPBIN_SAN,
    "filter_state.wasm.upstream_service": "httpbin.default.svc.cluster.local", "filter_state.wasm.hbone_route": "hbone",
    "filter_state.wasm.hbone_baggage": SLEEP_BAGGAGE, "filter_state.wasm.hbone_source": SLEEP_TUNNELLED,
  };
  /** ztunnel / Istio for plain TCP to something outside the mesh: the source workload, no principal, the cluster name. */
  const SLEEP_TO_CLUSTER = (cluster: string): Record<string, string> => tcpLabels({
    ...UNKNOWN_TO_HTTPBIN,
    reporter: "source",
    source_workload: "sleep", source_workload_namespace: "sleep-ns", source_app: "sleep", source_version: "v2",
    source_cluster: "Kubernetes", source_canonical_service: "sleep", source_canonical_revision: "v2",
    source_principal: "unknown",
    destination_workload: "unknown", destination_workload_namespace: "unknown", destination_principal: "unknown",
    destination_app: "unknown", destination_version: "unknown", destination_cluster: "unknown",
    destination_canonical_service: "unknown", destination_canonical_revision: "latest",
    destination_service: "unknown", destination_service_name: cluster, destination_service_namespace: "unknown",
    connection_security_policy: "unknown",
  });

  async function open(configuration: string, properties: Props) {
    const host = new Host({ statsTags: STATS_TAGS, countHostCalls: true });
    const counter = host.hostCalls!;
    const plugin = await host.loadPlugin({ module: MODULE, rootId: "tcp", configuration, listenerDirection: "OUTBOUND" });
    // A first connection defines the label set; the second shows the steady-state cost.
    let calls: Record<string, number> = {};
    for (let i = 0; i < 2; i++) {
      const c = host.tcpConnection({ filters: [plugin], properties });
      c.open();
      counter.reset();
      c.downstreamData("x"); // labels are resolved at the first data (TLS: after the handshake)
      calls = counter.snapshot();
      c.closeDownstream("remote");
    }
    expect(host.traps).toEqual([]);
    return { host, calls };
  }

  it("reports the tunnelled source's identity from what hbone-outbound published, in 4 reads", async () => {
    const { host, calls } = await open(NODE_CONFIG, TUNNEL);
    const labels = tcpLabels(SLEEP_TO_HTTPBIN, { reporter: "source", connection_security_policy: "unknown" });
    expect(promLines(host)).toContain(line("istio_tcp_connections_opened_total", labels, 2));
    // upstream peer, its principal, wasm.hbone_source (identity and baggage in one read), the service; then `opened`.
    expect(calls).toEqual({ "env.proxy_get_property": 4, "env.proxy_increment_metric": 1 });
  });

  it("labels a tunnelled source hbone-outbound did not describe unknown (a node proxy configures no workload)", async () => {
    const unknownSource: Record<string, string> = { ...TUNNEL, "source.address": "10.9.9.9:5000" };
    delete unknownSource["filter_state.wasm.hbone_source"];
    delete unknownSource["filter_state.wasm.hbone_baggage"];
    const { host } = await open(NODE_CONFIG, unknownSource);
    const labels = tcpLabels({
      ...SLEEP_TO_HTTPBIN, source_workload: "unknown", source_workload_namespace: "unknown", source_principal: "unknown",
      source_app: "unknown", source_version: "unknown", source_canonical_service: "unknown", source_canonical_revision: "latest",
    }, { reporter: "source", connection_security_policy: "unknown" });
    expect(promLines(host)).toContain(line("istio_tcp_connections_opened_total", labels, 2));
  });

  it("labels passthrough and blackholed connections as Istio does: source workload, PassthroughCluster / BlackHoleCluster", async () => {
    for (const [route, cluster, destination] of [
      ["passthrough", "PassthroughCluster", "93.184.216.34:443"], ["blackhole", "BlackHoleCluster", "10.0.0.20:15001"],
    ] as const) {
      const { host, calls } = await open(NODE_CONFIG, {
        "source.address": "10.0.0.10:51000", "destination.address": destination, "filter_state.wasm.hbone_route": route,
        "filter_state.wasm.hbone_source": SLEEP_PLAIN,
      });
      expect(promLines(host)).toContain(line("istio_tcp_connections_opened_total", SLEEP_TO_CLUSTER(cluster), 2));
      expect(promLines(host)).toContain(line("istio_tcp_connections_closed_total", SLEEP_TO_CLUSTER(cluster), 2));
      // upstream peer, its principal (both absent), the route, wasm.hbone_source; no service to read; then `opened`.
      expect(calls).toEqual({ "env.proxy_get_property": 4, "env.proxy_increment_metric": 1 });
    }
  });

  it("never reports a source principal for plain TCP, even one hbone-outbound did not publish as such", async () => {
    // A principal line on a passthrough route (not what hbone-outbound writes) is still not a tunnel's identity.
    const { host } = await open(NODE_CONFIG, { "source.address": "10.0.0.10:51000", "destination.address": "93.184.216.34:443",
      "filter_state.wasm.hbone_route": "passthrough", "filter_state.wasm.hbone_source": SLEEP_TUNNELLED });
    expect(promLines(host)).toContain(line("istio_tcp_connections_opened_total", SLEEP_TO_CLUSTER("PassthroughCluster"), 2));
  });

  it("names the cluster for passthrough without hbone-outbound's source too (source from the configuration, principal unknown)", async () => {
    const { host } = await open(JSON.stringify({
      reporter: "source",
      local: { workload: "sleep", namespace: "sleep-ns", app: "sleep", version: "v2", canonicalService: "sleep",
        canonicalRevision: "v2", cluster: "Kubernetes", principal: SLEEP_SAN },
    }), { "source.address": "10.0.0.10:51000", "destination.address": "93.184.216.34:443", "filter_state.wasm.hbone_route": "passthrough" });
    expect(promLines(host)).toContain(line("istio_tcp_connections_opened_total", SLEEP_TO_CLUSTER("PassthroughCluster"), 2));
  });

  it("behind the real hbone-outbound: tunnel, passthrough and blackhole from one source, one workload table", async () => {
    await compileAssemblyScript("filters/hbone-outbound/filter.ts", "build/hbone-outbound.wasm");
    const host = new Host({ statsTags: STATS_TAGS });
    const outbound = await host.loadPlugin({ module: "build/hbone-outbound.wasm", vmId: "hbone-outbound", listenerDirection: "OUTBOUND",
      configuration: JSON.stringify({ workloads: TABLE, hboneClusters: { [SLEEP_SAN]: "hbone_sleep" } }) });
    const stats = await host.loadPlugin({ module: MODULE, rootId: "tcp", configuration: NODE_CONFIG, listenerDirection: "OUTBOUND" });
    for (const destination of ["10.96.0.20:8000", "93.184.216.34:443", "10.0.0.20:15001"]) {
      const c = host.tcpConnection({ filters: [outbound, stats], properties: { "source.address": "10.0.0.10:51000", "destination.address": destination } });
      c.open();
      c.closeDownstream("remote");
    }
    const lines = promLines(host);
    expect(lines).toContain(line("istio_tcp_connections_opened_total", tcpLabels(SLEEP_TO_HTTPBIN, { reporter: "source", connection_security_policy: "unknown" }), 1));
    expect(lines).toContain(line("istio_tcp_connections_opened_total", SLEEP_TO_CLUSTER("PassthroughCluster"), 1));
    expect(lines).toContain(line("istio_tcp_connections_opened_total", SLEEP_TO_CLUSTER("BlackHoleCluster"), 1));
    expect(lines.filter((l) => l.includes('source_principal="unknown"') && l.includes('destination_service_name="httpbin"'))).toEqual([]);
  });

  it("behind the real hbone-outbound: a source outside its table is unknown; each filter's calls per connection", async () => {
    await compileAssemblyScript("filters/hbone-outbound/filter.ts", "build/hbone-outbound.wasm");
    const host = new Host({ statsTags: STATS_TAGS, countHostCalls: true });
    const outbound = await host.loadPlugin({ module: "build/hbone-outbound.wasm", vmId: "hbone-outbound", listenerDirection: "OUTBOUND",
      configuration: JSON.stringify({ workloads: TABLE, unknownSource: "tunnel" }) });
    const stats = await host.loadPlugin({ module: MODULE, rootId: "tcp", configuration: NODE_CONFIG, listenerDirection: "OUTBOUND" });
    const opening: Array<[Record<string, number>, Record<string, number>]> = [];
    for (const source of ["10.0.0.10:51000", "10.0.0.10:51001", "10.9.9.9:5000"]) {
      const c = host.tcpConnection({ filters: [outbound, stats], properties: { "source.address": source, "destination.address": "10.96.0.20:8000" } });
      outbound.hostCalls!.reset();
      stats.hostCalls!.reset();
      c.open();
      const outboundCalls = outbound.hostCalls!.snapshot();
      c.downstreamData("x");
      opening.push([outboundCalls, stats.hostCalls!.snapshot()]);
      c.closeDownstream("remote");
    }
    const lines = promLines(host);
    expect(lines).toContain(line("istio_tcp_connections_opened_total", tcpLabels(SLEEP_TO_HTTPBIN, { reporter: "source", connection_security_policy: "unknown" }), 2));
    expect(lines).toContain(line("istio_tcp_connections_opened_total", tcpLabels({
      ...SLEEP_TO_HTTPBIN, source_workload: "unknown", source_workload_namespace: "unknown", source_principal: "unknown",
      source_app: "unknown", source_version: "unknown", source_canonical_service: "unknown", source_canonical_revision: "latest",
    }, { reporter: "source", connection_security_policy: "unknown" }), 1));
    // Second connection of sleep's label set (steady state). hbone-outbound's set_property: authority, baggage,
    // forwarded, traceparent, original_dst; route, wasm.hbone_source, upstream peer, its principal, service.
    // istio-stats reads 4 properties and counts `opened`.
    const [outboundCalls, statsCalls] = opening[1];
    expect(outboundCalls["env.proxy_set_property"]).toBe(10);
    expect(statsCalls).toEqual({ "env.proxy_get_property": 4, "env.proxy_increment_metric": 1 });
    expect(host.traps).toEqual([]);
  });

  it("keeps the Host header as destination_service for passthrough HTTP (istio_stats.cc: only the name is the cluster)", async () => {
    const host = new Host({ statsTags: STATS_TAGS });
    const plugin = await host.loadPlugin({ module: MODULE, rootId: "http", configuration: NODE_CONFIG });
    const s = host.httpStream({ filters: [plugin], connection: {
      "source.address": "10.0.0.10:51000", "destination.address": "93.184.216.34:80", "filter_state.wasm.hbone_route": "passthrough",
      "filter_state.wasm.hbone_source": SLEEP_PLAIN,
    } });
    s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "example.com"], [":scheme", "http"]], true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    const labels = SLEEP_TO_CLUSTER("PassthroughCluster");
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels({ ...labels, destination_service: "example.com" },
      { response_code: "200" }), 1));
  });
});

describe("istio-stats peer principal from Envoy's set_filter_state (waypoint main_internal)", () => {
  // waypoint.yaml: connect_terminate copies %DOWNSTREAM_PEER_URI_SAN% into io.istio.peer_principal (envoy.string,
  // shared with the internal connection); main_internal sees no certificate itself.
  const TRUSTED = "io.istio.peer_principal";
  const WAYPOINT_CONFIG = JSON.stringify({
    reporter: "waypoint", disableHostHeaderFallback: true,
    local: { workload: "waypoint", namespace: "default", cluster: "Kubernetes", principal: "spiffe://cluster.local/ns/default/sa/waypoint" },
    destinationService: { host: "httpbin.default.svc.cluster.local", name: "httpbin", namespace: "default" },
    peerFilterState: { downstream: "ambient_wasm.downstream_baggage" },
    peerPrincipalFilterState: TRUSTED,
  });

  async function request(value: string | null, extra: { headers?: HeaderList; props?: Props } = {}) {
    const host = new Host({ statsTags: STATS_TAGS });
    const plugin = await host.loadPlugin({ module: MODULE, rootId: "http", configuration: WAYPOINT_CONFIG });
    const connectionFilterState = new FilterState(LifeSpan.Connection);
    if (value !== null) connectionFilterState.set(TRUSTED, value, LifeSpan.Connection);
    connectionFilterState.set("ambient_wasm.downstream_baggage", SLEEP_BAGGAGE, LifeSpan.Connection);
    const s = host.httpStream({ filters: [plugin], connection: { "source.address": "10.0.0.10:51000", ...extra.props }, connectionFilterState, properties: {
      "filter_state.wasm.upstream_peer": HTTPBIN_BAGGAGE, "filter_state.wasm.upstream_peer_principal": HTTPBIN_SAN,
    } });
    s.sendRequestHeaders([...GET, ...(extra.headers ?? [])], true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    expect(host.traps).toEqual([]);
    return promLines(host);
  }

  const WAYPOINT_LABELS = httpLabels(SLEEP_TO_HTTPBIN, {
    reporter: "waypoint", response_code: "200", destination_version: "v1", destination_canonical_revision: "v1",
  });

  it("labels source_principal from the TLS handshake's copy and counts the request as mutual_tls", async () => {
    expect(await request(SLEEP_SAN)).toContain(line("istio_requests_total", WAYPOINT_LABELS, 1));
    expect(await request(`${SLEEP_SAN},spiffe://cluster.local/ns/x/sa/y`)).toContain(line("istio_requests_total", WAYPOINT_LABELS, 1));
  });

  it("never takes it from a header, a wasm.* key or a certificate it was told not to use", async () => {
    const forged = await request(null, {
      headers: [[TRUSTED, SLEEP_SAN], ["x-forwarded-client-cert", `URI=${SLEEP_SAN}`]],
      props: { [`filter_state.wasm.${TRUSTED}`]: SLEEP_SAN, "filter_state.wasm.peer_principal": SLEEP_SAN },
    });
    const unknown = { ...WAYPOINT_LABELS, source_principal: "unknown", connection_security_policy: "none" };
    expect(forged).toContain(line("istio_requests_total", unknown, 1));
    expect((await request("-"))).toContain(line("istio_requests_total", unknown, 1));
  });
});

// ---- tunnel mode -----------------------------------------------------------------------------------------

describe("istio-stats tunnel mode (HBONE CONNECT terminate)", () => {
  const CONNECT: HeaderList = [[":method", "CONNECT"], [":authority", "10.0.0.20:8000"], ["baggage", SLEEP_BAGGAGE]];

  async function tunnel(withLocalReply = false) {
    const host = new Host({ statsTags: STATS_TAGS, nodeMetadata: HTTPBIN_NODE });
    const filters = [];
    if (withLocalReply) filters.push(await host.loadPlugin({ module: LOCAL_REPLY_MODULE, vmId: "lr" }));
    filters.push(await host.loadPlugin({ module: MODULE, rootId: "tunnel", vmId: "stats", configuration: INBOUND_CONFIG }));
    return { host, filters };
  }

  it("reports each CONNECT stream as a TCP connection", async () => {
    const { host, filters } = await tunnel();
    const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
    s.sendRequestHeaders(CONNECT);
    s.sendResponseHeaders([[":status", "200"]]);
    s.sendRequestBody("p".repeat(64));
    s.sendResponseBody("q".repeat(512));
    s.sendRequestBody("p".repeat(36), true);
    s.sendResponseBody("", true);
    s.complete();
    const labels = tcpLabels(SLEEP_TO_HTTPBIN);
    const lines = promLines(host);
    expect(lines).toContain(line("istio_tcp_connections_opened_total", labels, 1));
    expect(lines).toContain(line("istio_tcp_connections_closed_total", labels, 1));
    expect(lines).toContain(line("istio_tcp_received_bytes_total", labels, 100));
    expect(lines).toContain(line("istio_tcp_sent_bytes_total", labels, 512));
    expect(lines.some((l) => l.startsWith("istio_requests_total"))).toBe(false);
  });

  it("reports a CONNECT refused by an earlier filter like ztunnel: opened, then closed with DENY", async () => {
    const { host, filters } = await tunnel(true);
    const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
    s.sendRequestHeaders([...CONNECT, ["x-test-local-reply", "401"]]);
    s.complete();
    expect(s.localResponse?.status).toBe(401);
    const labels = tcpLabels(SLEEP_TO_HTTPBIN);
    const lines = promLines(host);
    expect(lines).toContain(line("istio_tcp_connections_opened_total", labels, 1));
    expect(lines).toContain(line("istio_tcp_connections_closed_total", { ...labels, response_flags: "DENY" }, 1));
  });
});

describe("istio-stats tunnel mode behind the real hbone-inbound", () => {
  it("reports a CONNECT the way ztunnel's inbound does, from what hbone-inbound publishes", async () => {
    await compileAssemblyScript("filters/hbone-inbound/filter.ts", "build/hbone-inbound.wasm");
    const host = new Host({ statsTags: STATS_TAGS });
    const inboundConfig = readFileSync(new URL("../hbone-inbound/fixtures/config.json", import.meta.url), "utf8");
    const inbound = await host.loadPlugin({ module: "build/hbone-inbound.wasm", name: "hbone-inbound", vmId: "inbound", configuration: inboundConfig });
    const stats = await host.loadPlugin({ module: MODULE, name: "istio-stats", rootId: "tunnel", vmId: "stats",
      configuration: '{"reporter":"destination"}' });
    const sleepSan = "spiffe://cluster.local/ns/default/sa/sleep";
    const s = host.httpStream({ filters: [inbound, stats], connection: {
      "source.address": "10.0.0.10:45678", "destination.address": "10.0.1.20:15008", "connection.mtls": true,
      "connection.uri_san_peer_certificate": sleepSan, "connection.uri_san_local_certificate": HTTPBIN_SAN,
    } });
    s.sendRequestHeaders([[":method", "CONNECT"], [":authority", "10.0.1.20:80"],
      ["baggage", "k8s.namespace.name=forged,k8s.deployment.name=forged"],
      ["forwarded", 'for="10.0.0.10:45678";host=httpbin.default.svc.cluster.local']]);
    expect(s.localResponse).toBeNull();
    s.sendResponseHeaders([[":status", "200"]]);
    s.sendRequestBody("p".repeat(30), true);
    s.sendResponseBody("q".repeat(70), true);
    s.complete();
    // Source from hbone-inbound's workload table (the TCP peer 10.0.0.10 is sleep), not from the baggage header;
    // destination = the workload and service hbone-inbound resolved for the CONNECT.
    const labels = tcpLabels({
      reporter: "destination",
      source_workload: "sleep", source_workload_namespace: "default", source_principal: sleepSan,
      source_app: "sleep", source_version: "latest", source_cluster: "Kubernetes",
      destination_workload: "httpbin", destination_workload_namespace: "default", destination_principal: HTTPBIN_SAN,
      destination_app: "httpbin", destination_version: "v1", destination_service: "httpbin.default.svc.cluster.local",
      destination_service_name: "httpbin", destination_service_namespace: "default", destination_cluster: "Kubernetes",
      connection_security_policy: "mutual_tls", source_canonical_service: "sleep", destination_canonical_service: "httpbin",
      source_canonical_revision: "latest", destination_canonical_revision: "v1",
    });
    const lines = promLines(host);
    expect(lines).toContain(line("istio_tcp_connections_opened_total", labels, 1));
    expect(lines).toContain(line("istio_tcp_connections_closed_total", labels, 1));
    expect(lines).toContain(line("istio_tcp_received_bytes_total", labels, 30));
    expect(lines).toContain(line("istio_tcp_sent_bytes_total", labels, 70));
    expect(host.traps).toEqual([]);
  });
});

// ---- configuration ------------------------------------------------------------------------------------------

describe("istio-stats configuration", () => {
  const cases: Array<[string, string, string]> = [
    ["unknown reporter", '{"reporter":"sideways"}', "$.reporter: must be one of source, destination, waypoint"],
    ["unknown metric", '{"reporter":"source","metrics":[{"name":"istio_requests_total","drop":true}]}', "$.metrics[0].name: must be one of"],
    ["bad duration", '{"reporter":"source","tcpReportingDuration":"5 seconds"}', "$.tcpReportingDuration: must be a duration"],
    ["principal without spiffe://", '{"reporter":"source","local":{"principal":"cluster.local/ns/a/sa/b"}}', "$.local.principal: must be a SPIFFE id"],
    ["misspelt field", '{"reporter":"source","destinationservice":{}}', "$.destinationservice: unknown field"],
    ["wrong type", '{"reporter":"source","disableHostHeaderFallback":"yes"}', "$.disableHostHeaderFallback: expected boolean, got string"],
    ["not JSON", "{reporter: source}", "$"],
    ["no reporter and no listener direction", "{}", "$.reporter: required when the listener has no traffic_direction"],
    ["a wasm.* key as trusted peer principal", '{"reporter":"waypoint","peerPrincipalFilterState":"wasm.peer_principal"}', "$.peerPrincipalFilterState: wasm.* keys are written by Wasm filters"],
    ["an envoy.* key as trusted peer principal", '{"reporter":"destination","peerPrincipalFilterState":"envoy.string"}', "$.peerPrincipalFilterState: envoy.* keys name Envoy object factories"],
    ["an empty trusted peer principal key", '{"reporter":"destination","peerPrincipalFilterState":""}', "$.peerPrincipalFilterState: must be a filter-state key"],
    // hbone-outbound owns the workload table; the source reporter reads what it publishes.
    ["a workload table", '{"reporter":"source","workloads":[]}', "$.workloads: unknown field"],
  ];
  for (const [name, configuration, message] of cases) {
    it(`rejects ${name} naming the JSON path`, async () => {
      const host = new Host({ statsTags: STATS_TAGS });
      await expect(host.loadPlugin({ module: MODULE, rootId: "http", configuration })).rejects.toBeInstanceOf(PluginLoadError);
      expect(host.logs.some((l) => l.message.includes("istio-stats: invalid configuration: " + message))).toBe(true);
    });
  }

  it("rejects an unknown root_id", async () => {
    const host = new Host({ statsTags: STATS_TAGS });
    await expect(host.loadPlugin({ module: MODULE, rootId: "stats", configuration: '{"reporter":"source"}' })).rejects.toBeInstanceOf(PluginLoadError);
  });

  it("accepts the configurations shipped in envoy.yaml", async () => {
    const configs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        const cfg = o.config as Record<string, unknown> | undefined;
        if (cfg && String(cfg.name ?? "").startsWith("istio-stats")) {
          configs.push(JSON.stringify({ rootId: cfg.root_id, value: (cfg.configuration as { value: string }).value }));
        }
        Object.values(o).forEach(walk);
      }
    };
    walk(ENVOY_YAML);
    expect(configs.length).toBe(3);
    for (const c of configs) {
      const { rootId, value } = JSON.parse(c);
      const host = new Host({ statsTags: STATS_TAGS, nodeMetadata: HTTPBIN_NODE });
      await host.loadPlugin({ module: MODULE, rootId, configuration: value });
    }
  });
});

// ---- cost -----------------------------------------------------------------------------------------------------

describe("istio-stats host calls", () => {
  async function measure(configuration: string, requests: number): Promise<Record<string, number>[]> {
    const host = new Host({ statsTags: STATS_TAGS, nodeMetadata: HTTPBIN_NODE, countHostCalls: true });
    const counter = host.hostCalls!;
    const plugin = await host.loadPlugin({ module: MODULE, rootId: "http", configuration });
    const perRequest: Record<string, number>[] = [];
    for (let i = 0; i < requests; i++) {
      counter.reset();
      const s = host.httpStream({ filters: [plugin], connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
      s.sendRequestHeaders(GET, true);
      s.sendResponseHeaders([[":status", "200"]], true);
      s.complete();
      perRequest.push(counter.snapshot());
    }
    return perRequest;
  }

  const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

  it("defines metrics once per label set and makes a fixed number of calls per request after that", async () => {
    const runs = await measure(INBOUND_CONFIG, 5);
    expect(runs[0]["env.proxy_define_metric"]).toBe(4);
    for (const run of runs.slice(1)) {
      expect(run["env.proxy_define_metric"]).toBeUndefined();
      expect(run).toEqual(runs[1]);
    }
    // Steady state: 1 header read, 2 peer reads, 5 attribute reads, 1 counter + 3 histogram updates.
    expect(total(runs[1])).toBe(12);
    expect(runs[1]).toEqual({
      "env.proxy_get_header_map_value": 1,
      "env.proxy_get_property": 7,
      "env.proxy_increment_metric": 1,
      "env.proxy_record_metric": 3,
    });
  });

  it("makes no host call per TCP data chunk and a fixed number per connection", async () => {
    const host = new Host({ statsTags: STATS_TAGS, nodeMetadata: HTTPBIN_NODE, countHostCalls: true });
    const counter = host.hostCalls!;
    const plugin = await host.loadPlugin({ module: MODULE, rootId: "tcp", configuration: INBOUND_CONFIG });
    const phases: Record<string, number>[] = [];
    for (let i = 0; i < 3; i++) {
      const c = host.tcpConnection({ filters: [plugin], properties: { ...MTLS_CONNECTION, "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
      counter.reset();
      c.open();
      phases.push(counter.snapshot());
      counter.reset();
      c.downstreamData("a".repeat(100));
      phases.push(counter.snapshot());
      counter.reset();
      for (let k = 0; k < 10; k++) c.downstreamData("a".repeat(100)).upstreamData("b".repeat(100));
      phases.push(counter.snapshot());
      counter.reset();
      c.closeDownstream("remote");
      phases.push(counter.snapshot());
    }
    const [open, first, data, close] = phases.slice(8);
    // Nothing at the new connection (before a TLS handshake); the labels and `opened` at the first data.
    expect(open).toEqual({});
    expect(first).toEqual({ "env.proxy_get_property": 2, "env.proxy_increment_metric": 1 });
    expect(data).toEqual({});
    // response.flags, then sent + received flush and closed.
    expect(close).toEqual({ "env.proxy_get_property": 1, "env.proxy_increment_metric": 3 });
  });

  it("makes no host call per tunnelled body chunk and a fixed number per CONNECT", async () => {
    const host = new Host({ statsTags: STATS_TAGS, nodeMetadata: HTTPBIN_NODE, countHostCalls: true });
    const counter = host.hostCalls!;
    const plugin = await host.loadPlugin({ module: MODULE, rootId: "tunnel", configuration: '{"reporter":"destination"}' });
    const phases: Record<string, number>[] = [];
    for (let i = 0; i < 3; i++) {
      const s = host.httpStream({ filters: [plugin], connection: MTLS_CONNECTION, properties: {
        "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE, "filter_state.wasm.upstream_peer": HTTPBIN_BAGGAGE,
        "filter_state.wasm.upstream_peer_principal": HTTPBIN_SAN, "filter_state.wasm.upstream_service": "httpbin.default.svc.cluster.local",
      } });
      counter.reset();
      s.sendRequestHeaders([[":method", "CONNECT"], [":authority", "10.0.0.20:8000"]]);
      phases.push(counter.snapshot());
      s.sendResponseHeaders([[":status", "200"]]);
      counter.reset();
      for (let k = 0; k < 10; k++) s.sendRequestBody("p".repeat(100)).sendResponseBody("q".repeat(100));
      phases.push(counter.snapshot());
      counter.reset();
      s.sendRequestBody("", true).sendResponseBody("", true).complete();
      phases.push(counter.snapshot());
    }
    const [open, data, close] = phases.slice(6);
    // Peer SAN, downstream peer, upstream peer, its principal, its service; then `opened`.
    expect(open).toEqual({ "env.proxy_get_property": 5, "env.proxy_increment_metric": 1 });
    expect(data).toEqual({});
    // response.code, response.flags; sent + received flush and closed.
    expect(close).toEqual({ "env.proxy_get_property": 2, "env.proxy_increment_metric": 3 });
  });

  it("does not read a peer filter-state key the configuration turns off (11 calls)", async () => {
    // A sidecar without HBONE has no wasm.downstream_peer to read: "" saves that read on every request.
    const config = { ...JSON.parse(INBOUND_CONFIG), peerFilterState: { downstream: "" }, peerFallback: { workload: "legacy" } };
    const runs = await measure(JSON.stringify(config), 3);
    expect(total(runs[2])).toBe(11);
    expect(runs[2]["env.proxy_get_property"]).toBe(6);

    const { host, filters } = await inboundHttp({ configuration: JSON.stringify(config) });
    const s = host.httpStream({ filters, connection: MTLS_CONNECTION, properties: { "filter_state.wasm.downstream_peer": SLEEP_BAGGAGE } });
    s.sendRequestHeaders(GET, true);
    s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    expect(promLines(host)).toContain(line("istio_requests_total", httpLabels(SLEEP_TO_HTTPBIN, {
      response_code: "200", source_workload: "legacy", source_app: "unknown", source_version: "unknown", source_cluster: "unknown",
      source_canonical_service: "unknown", source_canonical_revision: "latest",
    }), 1));
  });

  it("meets 8 calls per request when the two size histograms are dropped", async () => {
    const config = JSON.parse(INBOUND_CONFIG);
    config.metrics = [{ name: "request_bytes", drop: true }, { name: "response_bytes", drop: true }];
    const runs = await measure(JSON.stringify(config), 3);
    expect(total(runs[2])).toBeLessThanOrEqual(8);
  });
});

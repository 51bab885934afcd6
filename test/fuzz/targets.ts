// What is fuzzed, per filter: hostile traffic through the filter with its realistic configuration (fixtures/,
// README examples, the identity-rbac decision-table policy sets), and random plugin configurations (mutations of
// the fixture and garbage). Each target says how to load the filter and what its decision is for one input.
import { existsSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { Host, type HeaderList, type HttpStream, type Plugin, type Props, type TcpConnection } from "../../emulator/index.ts";
import type { FilterState } from "../../emulator/filter-state.ts";
import { HTTPBIN_NODE, istioStatsTags, modulePath, ROOT } from "../../bench/scenarios.ts";
import * as A from "./arbitraries.ts";
import { PropertyViolation, type Env, type Target } from "./session.ts";
import { DOWNSTREAM_PEER, HBONE_SOURCE, UPSTREAM_PEER, UPSTREAM_PEER_PRINCIPAL, UPSTREAM_SERVICE } from "../../lib/filter-state-keys.ts";

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/;
const readJson = (path: string): any => JSON.parse(readFileSync(`${ROOT}${path}`, "utf8"));

const moduleCache = new Map<string, Uint8Array>();
function moduleOf(filter: string): Uint8Array {
  let m = moduleCache.get(filter);
  if (!m) { m = new Uint8Array(readFileSync(modulePath(filter))); moduleCache.set(filter, m); }
  return m;
}
export const isBuilt = (filter: string) => existsSync(modulePath(filter));

/** Per-run ids (traceparent) replaced by a marker once their format is checked. */
function normalize(value: string): string {
  return TRACEPARENT.test(value) ? "<traceparent>" : value;
}

function headersOf(list: HeaderList | null): Array<[string, string]> | null {
  return list ? list.map(([k, v]) => [k, k === "traceparent" ? normalize(v) : v]) : null;
}

function stateOf(fs: FilterState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of fs.keys().sort()) out[k] = normalize(fs.plain(k) ?? "");
  return out;
}

function httpDecision(s: HttpStream) {
  const l = s.localResponse;
  return {
    local: l ? { status: l.status, details: l.details, body: l.bodyText, headers: l.headers } : null,
    reset: s.reset?.details ?? null,
    upstream: headersOf(s.upstreamRequest.headers),
    upstreamBody: s.upstreamRequest.body.length,
    downstream: headersOf(s.downstreamResponse.headers),
    state: stateOf(s.filterState),
  };
}

function tcpDecision(c: TcpConnection) {
  return { closed: c.closed, up: c.toUpstream.length, down: c.toDownstream.length, state: stateOf(c.filterState) };
}

/** The module's log lines at info and above since the last call (forgotten after, so the host does not grow). */
function takeLogs(host: Host): string[] {
  const out = host.logs.filter((l) => l.line.startsWith("wasm log") && l.level !== "trace" && l.level !== "debug").map((l) => `${l.level}: ${l.message}`);
  host.logs.length = 0;
  return out;
}

/** An environment whose configuration-time log lines are dropped. */
function loaded(host: Host, plugins: Plugin[]): Env {
  takeLogs(host);
  return { host, plugins };
}

/** Plugins loaded on first use, keyed by variant (so a fresh VM loads only what its input needs). */
class LazyEnv implements Env {
  readonly host: Host;
  plugins: Plugin[] = [];
  private readonly byKey = new Map<string, Plugin>();
  constructor(host: Host, private readonly load: (host: Host, key: string) => Plugin) { this.host = host; }
  plugin(key: string): Plugin {
    let p = this.byKey.get(key);
    if (!p) {
      p = this.load(this.host, key);
      takeLogs(this.host); // configuration-time lines are not part of any input's decision
      this.byKey.set(key, p);
      this.plugins.push(p);
    }
    return p;
  }
}

const TUNNEL_REQUEST = new Uint8Array(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
const TUNNEL_RESPONSE = new Uint8Array(Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"));

// ---- hbone-inbound ------------------------------------------------------------------------------------------

const HBONE_INBOUND_CONFIG = () => readJson("filters/hbone-inbound/fixtures/config.json");
const INBOUND_IPS = ["10.0.0.10", "10.0.1.20", "fd00:1::20", "10.0.2.32", "10.96.0.20"];
const INBOUND_HOSTS = ["httpbin.default.svc.cluster.local", "httpbin-admin.default.svc.cluster.local", "reviews.bookinfo.svc.cluster.local"];

interface ConnectInput {
  method: string;
  authority: string | undefined;
  baggage: string | undefined;
  forwarded: string | undefined;
  extra: HeaderList;
  source: string | undefined;
  destination: string | undefined;
  peer: string | undefined;
  sni?: string | undefined;
  variant?: number;
}

const connectInput = (ips: string[], hosts: string[]): fc.Arbitrary<ConnectInput> => fc.record({
  method: fc.oneof({ weight: 8, arbitrary: fc.constant("CONNECT") }, { weight: 1, arbitrary: fc.constantFrom("GET", "connect", "POST") }, { weight: 1, arbitrary: A.anyText }),
  authority: fc.option(A.authority(ips, hosts), { nil: undefined, freq: 10 }),
  baggage: fc.option(A.baggage, { nil: undefined, freq: 3 }),
  forwarded: fc.option(A.forwarded, { nil: undefined, freq: 3 }),
  extra: A.extraHeaders,
  source: fc.option(A.socketAddress(ips), { nil: undefined, freq: 10 }),
  destination: fc.option(fc.oneof(fc.constantFrom("10.0.1.20:15008", "[fd00:1::20]:15008"), A.socketAddress(ips, [15008])), { nil: undefined, freq: 10 }),
  peer: fc.option(A.spiffeId, { nil: undefined, freq: 8 }),
});

function connectHeaders(i: ConnectInput): HeaderList {
  return A.headerList([[":method", i.method], [":authority", i.authority], ["baggage", i.baggage], ["forwarded", i.forwarded]], i.extra);
}

function connectionProps(i: ConnectInput): Props {
  const p: Props = { "connection.mtls": i.peer !== undefined };
  if (i.source !== undefined) p["source.address"] = i.source;
  if (i.destination !== undefined) p["destination.address"] = i.destination;
  if (i.peer !== undefined) p["connection.uri_san_peer_certificate"] = i.peer;
  if (i.sni !== undefined) p["connection.requested_server_name"] = i.sni;
  return p;
}

/** CONNECT headers; if accepted: 200 and a few tunnelled bytes both ways; then the end of the stream. */
function runConnect(host: Host, filters: Plugin[], i: ConnectInput): HttpStream {
  const s = host.httpStream({ filters, connection: connectionProps(i) });
  s.sendRequestHeaders(connectHeaders(i), false);
  if (!s.localResponse && !s.reset) {
    s.sendResponseHeaders([[":status", "200"]], false);
    s.sendRequestBody(TUNNEL_REQUEST, true);
    s.sendResponseBody(TUNNEL_RESPONSE, true);
  }
  s.complete();
  return s;
}

function hboneInboundTraffic(): Target<ConnectInput> & { arbitrary: fc.Arbitrary<ConnectInput> } {
  const config = JSON.stringify(HBONE_INBOUND_CONFIG());
  return {
    name: "hbone-inbound/traffic", filter: "hbone-inbound",
    arbitrary: connectInput(INBOUND_IPS, INBOUND_HOSTS),
    setup() {
      const host = new Host({ logLevel: "info" });
      return loaded(host, [host.loadPluginSync({ module: moduleOf("hbone-inbound"), name: "hbone-inbound", rootId: "hbone-inbound", vmId: "in", configuration: config })]);
    },
    run(env, i) {
      const s = runConnect(env.host, env.plugins, i);
      return { decision: { ...httpDecision(s), logs: takeLogs(env.host) } };
    },
  };
}

// ---- connect-headers ----------------------------------------------------------------------------------------

const CONNECT_HEADERS_VARIANTS = (): unknown[] => {
  const base = readJson("filters/connect-headers/fixtures/config.json");
  return [
    base,
    { ...base, target: { from: "authority" }, onlyConnect: false },
    { ...base, target: { from: "config", host: "fd00::99", port: 8080 } },
    { ...base, target: { from: "sni" }, headers: { baggage: false, forwarded: true, xForwardedFor: false, traceparent: false, originalDstHost: true } },
  ];
};

function connectHeadersTraffic(): Target<ConnectInput> & { arbitrary: fc.Arbitrary<ConnectInput> } {
  const variants = CONNECT_HEADERS_VARIANTS().map((v) => JSON.stringify(v));
  const ips = ["10.0.0.10", "fd00::10", "10.0.1.20", "93.184.215.14"];
  return {
    name: "connect-headers/traffic", filter: "connect-headers",
    arbitrary: fc.tuple(connectInput(ips, ["www.example.com", "api.example.com"]), fc.nat({ max: variants.length - 1 }),
      fc.option(fc.oneof(fc.constantFrom("www.example.com", "API.Example.COM", "a.b", "1.2.3.4", "-bad-", "x..y"), A.anyText), { nil: undefined, freq: 5 }))
      .map(([i, variant, sni]) => ({ ...i, variant, sni })),
    setup() {
      const host = new Host({ logLevel: "info" });
      return new LazyEnv(host, (h, key) => h.loadPluginSync({ module: moduleOf("connect-headers"), name: `connect-headers-${key}`, vmId: "ch", configuration: variants[Number(key)] }));
    },
    run(env, i) {
      const plugin = (env as LazyEnv).plugin(String(i.variant));
      const s = runConnect(env.host, [plugin], i);
      return { decision: { ...httpDecision(s), logs: takeLogs(env.host) } };
    },
  };
}

// ---- hbone-outbound -----------------------------------------------------------------------------------------

interface OutboundInput { source: string | undefined; destination: string | undefined; peer: string | undefined; data: string; upstreamEos: boolean }

function hboneOutboundTraffic(): Target<OutboundInput> & { arbitrary: fc.Arbitrary<OutboundInput> } {
  const config = HBONE_OUTBOUND_CONFIG();
  const ips: string[] = [];
  const ports = [15001, 15008];
  for (const w of config.workloads) {
    ips.push(...w.addresses);
    if (w.waypoint) ips.push(w.waypoint.address);
    for (const s of w.services ?? []) { ips.push(...s.vips); for (const p of s.ports) ports.push(p.port, p.targetPort ?? p.port); }
  }
  // A service with several backends is served by context id modulo their number (README): align on the lcm.
  const backends = new Map<string, number>();
  for (const w of config.workloads) for (const s of w.services ?? []) for (const v of s.vips) backends.set(v, (backends.get(v) ?? 0) + 1);
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  const period = [...backends.values()].reduce((l, n) => (l * n) / gcd(l, n), 1);
  const text = JSON.stringify(config);
  return {
    name: "hbone-outbound/traffic", filter: "hbone-outbound",
    arbitrary: fc.record({
      source: fc.option(A.socketAddress(ips), { nil: undefined, freq: 10 }),
      destination: fc.option(A.socketAddress(ips, ports), { nil: undefined, freq: 12 }),
      peer: fc.option(A.spiffeId, { nil: undefined, freq: 3 }),
      data: fc.oneof(fc.constant(""), A.anyText),
      upstreamEos: fc.boolean(),
    }),
    idPeriod: period,
    setup() {
      const host = new Host({ logLevel: "info" });
      return loaded(host, [host.loadPluginSync({ module: moduleOf("hbone-outbound"), name: "hbone-outbound", vmId: "out", configuration: text, listenerDirection: "OUTBOUND" })]);
    },
    spacer(env) {
      const c = env.host.tcpConnection({ filters: env.plugins, properties: { "source.address": "10.0.0.10:1", "destination.address": "8.8.8.8:53" } });
      c.open(); c.closeDownstream("remote");
      takeLogs(env.host);
      return c.contextIds[0];
    },
    run(env, i) {
      const props: Props = {};
      if (i.source !== undefined) props["source.address"] = i.source;
      if (i.destination !== undefined) props["destination.address"] = i.destination;
      if (i.peer !== undefined) { props["connection.mtls"] = true; props["connection.uri_san_peer_certificate"] = i.peer; }
      const c = env.host.tcpConnection({ filters: env.plugins, properties: props });
      c.open();
      if (i.data) c.downstreamData(i.data, false);
      if (i.data) c.upstreamData(i.data, i.upstreamEos);
      c.closeDownstream("remote");
      return { decision: { ...tcpDecision(c), logs: takeLogs(env.host) }, contextId: c.contextIds[0] };
    },
  };
}

const HBONE_OUTBOUND_CONFIG = () => readJson("filters/hbone-outbound/fixtures/config.json");

// ---- identity-rbac ------------------------------------------------------------------------------------------

interface RbacInput {
  set: number;
  mode: "l7" | "l4" | "connect";
  dryRun: boolean;
  method: string;
  path: string;
  authority: string;
  extra: HeaderList;
  source: string | undefined;
  destination: string | undefined;
  peer: string | Uint8Array | undefined;
  sni: string | undefined;
}

const RBAC_ROOT = { l7: "identity-rbac-l7", l4: "identity-rbac-l4", connect: "identity-rbac-connect" } as const;

function rbacTable() {
  return parseYaml(readFileSync(`${ROOT}filters/identity-rbac/fixtures/decision-table.yaml`, "utf8")) as {
    workload: unknown; rootNamespace: string; policySets: Record<string, unknown[]>;
  };
}

function identityRbacTraffic(): Target<RbacInput> & { arbitrary: fc.Arbitrary<RbacInput> } {
  const table = rbacTable();
  const sets = Object.values(table.policySets);
  const ips = ["10.1.0.7", "10.0.0.5", "192.168.1.1", "fd00::1", "2001:db8::1"];
  const headerNames = fc.constantFrom("x-user", "x-token", "x-env");
  return {
    name: "identity-rbac/traffic", filter: "identity-rbac",
    arbitrary: fc.record({
      set: fc.nat({ max: sets.length - 1 }),
      mode: fc.constantFrom("l7", "l4", "connect"),
      dryRun: fc.boolean(),
      method: fc.oneof(fc.constantFrom("GET", "POST", "CONNECT", "get"), A.anyText),
      path: fc.oneof(fc.constantFrom("/info", "/info?x=1", "/admin/x", "/api/v1/items", "/api/a/b/c", "/x.css", "/info#f", "//info", "/%69nfo"), A.anyText),
      authority: A.authority(ips, ["httpbin.foo.svc.cluster.local", "a.example.com", "internal.x"]),
      extra: fc.tuple(fc.array(fc.tuple(headerNames, fc.oneof(fc.constantFrom("alice", "prod", ""), A.anyText)), { maxLength: 4 }), A.extraHeaders).map(([a, b]) => [...a, ...b]),
      source: fc.option(A.socketAddress(ips, [40000]), { nil: undefined, freq: 10 }),
      destination: fc.option(A.socketAddress(ips, [8000, 15008]), { nil: undefined, freq: 10 }),
      peer: fc.option(fc.oneof({ weight: 5, arbitrary: A.spiffeId }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) }), { nil: undefined, freq: 8 }),
      sni: fc.option(A.anyText, { nil: undefined, freq: 3 }),
    }),
    // The warm VM carries every policy set in every mode from the start, so its memory is comparable over time.
    warmSetup() {
      const env = this.setup() as LazyEnv;
      for (let set = 0; set < sets.length; set++) for (const mode of Object.keys(RBAC_ROOT)) for (const dry of [0, 1]) env.plugin(`${set}|${mode}|${dry}`);
      return env;
    },
    setup() {
      const host = new Host({ logLevel: "info" });
      return new LazyEnv(host, (h, key) => {
        const [set, mode, dry] = key.split("|");
        const configuration = JSON.stringify({ workload: table.workload, rootNamespace: table.rootNamespace, policies: sets[Number(set)], dryRun: dry === "1" });
        return h.loadPluginSync({ module: moduleOf("identity-rbac"), name: `rbac-${key}`, rootId: RBAC_ROOT[mode as RbacInput["mode"]], vmId: "rbac", configuration });
      });
    },
    run(env, i) {
      const plugin = (env as LazyEnv).plugin(`${i.set}|${i.mode}|${i.dryRun ? 1 : 0}`);
      const props: Props = { "connection.mtls": i.peer !== undefined };
      if (i.source !== undefined) props["source.address"] = i.source;
      if (i.destination !== undefined) props["destination.address"] = i.destination;
      if (i.peer !== undefined) props["connection.uri_san_peer_certificate"] = i.peer;
      if (i.sni !== undefined) props["connection.requested_server_name"] = i.sni;
      let decision: unknown;
      if (i.mode === "l4") {
        const c = env.host.tcpConnection({ filters: [plugin], properties: props });
        c.open(); c.downstreamData("hello", false); c.upstreamData("world", true); c.closeDownstream("remote");
        decision = tcpDecision(c);
      } else {
        const connect = i.mode === "connect";
        const s = env.host.httpStream({ filters: [plugin], connection: props });
        const base: Array<[string, string | undefined]> = connect
          ? [[":method", i.method], [":authority", i.authority]]
          : [[":method", i.method], [":path", i.path], [":authority", i.authority], [":scheme", "http"]];
        s.sendRequestHeaders(A.headerList(base, i.extra), !connect);
        if (!s.localResponse) s.sendResponseHeaders([[":status", "200"]], !connect);
        s.complete();
        decision = httpDecision(s);
      }
      return { decision: { decision, logs: takeLogs(env.host) } };
    },
  };
}

// ---- istio-stats --------------------------------------------------------------------------------------------

interface StatsInput {
  mode: "http" | "tcp" | "tunnel";
  variant: number;
  contentType: string | undefined;
  authority: string | undefined;
  status: string | undefined;
  grpcStatus: string | undefined;
  extra: HeaderList;
  peer: string | undefined;
  downstreamPeer: string | Uint8Array | undefined;
  upstreamPeer: string | undefined;
  upstreamPrincipal: string | undefined;
  upstreamService: string | undefined;
  hboneSource: string | undefined;
  reqBody: string;
  respBody: string;
}

const LOCAL_SAN = "spiffe://cluster.local/ns/default/sa/httpbin";

const STATS_VARIANTS: unknown[] = [
  { reporter: "destination", destinationService: { host: "httpbin.default.svc.cluster.local", name: "httpbin", namespace: "default" } },
  { reporter: "destination" },
  { reporter: "source", tcpReportingDuration: "0s" },
  { reporter: "waypoint", disableHostHeaderFallback: true },
  { reporter: "destination", metrics: [{ name: "request_bytes", drop: true }, { name: "response_bytes", drop: true }],
    peerFallback: { name: "legacy", namespace: "old" } },
];

/** Number of `;.;`-separated labels each Istio metric carries (README "Label subsets"). */
const LABELS_PER_METRIC: Record<string, number> = {
  istio_requests_total: 25, istio_request_duration_milliseconds: 25, istio_request_bytes: 25, istio_response_bytes: 25,
  istio_request_messages_total: 20, istio_response_messages_total: 20,
  istio_tcp_connections_opened_total: 23, istio_tcp_connections_closed_total: 23, istio_tcp_sent_bytes_total: 23, istio_tcp_received_bytes_total: 23,
};

/** Every stat name must be Istio's encoding: `<label>=.=<value>;.;` × n, then the metric name. */
function checkStatName(full: string): void {
  const name = full.startsWith("wasmcustom.") ? full.slice(11) : full;
  const parts = name.split(";.;");
  const metric = parts.pop()!;
  const want = LABELS_PER_METRIC[metric];
  if (want === undefined) throw new PropertyViolation(`istio-stats: unexpected metric name tail ${JSON.stringify(metric.slice(0, 80))}`);
  if (parts.length !== want) throw new PropertyViolation(`istio-stats: ${metric} has ${parts.length} labels, expected ${want}: ${JSON.stringify(name.slice(0, 300))}`);
  for (const p of parts) {
    const m = /^([a-z_]+)=\.=(.*)$/s.exec(p);
    if (!m || m[2].includes("=.=") || /[;=\u0000-\u001f]/.test(m[2]) || m[2].length > 256) {
      throw new PropertyViolation(`istio-stats: malformed label ${JSON.stringify(p.slice(0, 120))} in ${metric}`);
    }
  }
}

/** Records the metric updates of the plugins' VMs as [stat name, op, value]. */
function recordMetrics(plugin: Plugin, sink: Array<[string, string, string]>): void {
  const m = plugin.vm.metrics as any;
  if (m.__fuzzRecorded) return;
  m.__fuzzRecorded = true;
  const nameOf = (id: number): string => (m.counters.get(id) ?? m.gauges.get(id) ?? m.histograms.get(id))?.name ?? `#${id}`;
  const inc = m.increment.bind(m), rec = m.record.bind(m), def = m.define.bind(m);
  m.define = (store: unknown, type: number, name: string) => { checkStatName(name); return def(store, type, name); };
  m.increment = (id: number, v: bigint) => { sink.push([nameOf(id), "+", String(v)]); return inc(id, v); };
  m.record = (id: number, v: bigint) => { sink.push([nameOf(id), "=", String(v)]); return rec(id, v); };
}

function istioStatsTraffic(): Target<StatsInput> & { arbitrary: fc.Arbitrary<StatsInput> } {
  const tags = istioStatsTags();
  const sink: Array<[string, string, string]> = [];
  const variants = STATS_VARIANTS.map((v) => JSON.stringify(v));
  return {
    name: "istio-stats/traffic", filter: "istio-stats",
    arbitrary: fc.record({
      mode: fc.constantFrom("http", "tcp", "tunnel"),
      variant: fc.nat({ max: variants.length - 1 }),
      contentType: fc.option(fc.oneof(fc.constantFrom("application/grpc", "application/grpc+proto", "application/grpc;x", "application/grpcx", "text/html"), A.anyText), { nil: undefined }),
      authority: fc.option(A.authority([], ["httpbin.default.svc.cluster.local", "httpbin.default", "x.y.svc.z"]), { nil: undefined, freq: 6 }),
      status: fc.option(A.responseStatus, { nil: undefined, freq: 8 }),
      grpcStatus: fc.option(fc.oneof(fc.constantFrom("0", "14", "17", "-1", ""), A.anyText), { nil: undefined }),
      extra: A.extraHeaders,
      peer: fc.option(A.spiffeId, { nil: undefined, freq: 6 }),
      downstreamPeer: fc.option(fc.oneof({ weight: 6, arbitrary: A.baggage }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) }), { nil: undefined, freq: 6 }),
      upstreamPeer: fc.option(A.baggage, { nil: undefined }),
      upstreamPrincipal: fc.option(A.spiffeId, { nil: undefined }),
      upstreamService: fc.option(fc.oneof(fc.constant("reviews.bookinfo.svc.cluster.local"), A.anyText), { nil: undefined }),
      // What hbone-outbound publishes as wasm.hbone_source: baggage alone, or "<SPIFFE id>\n<baggage>" for a tunnel.
      hboneSource: fc.option(fc.oneof(A.baggage, fc.tuple(A.spiffeId, A.baggage).map(([id, b]) => `${id}\n${b}`)), { nil: undefined }),
      reqBody: fc.oneof(fc.constant(""), A.anyText),
      respBody: fc.oneof(fc.constant(""), A.anyText),
    }),
    // Every distinct label set is a permanent Envoy stat: a new host now and then keeps the emulator's store small.
    recycleEvery: 2000,
    setup() {
      const host = new Host({ logLevel: "info", statsTags: tags, nodeMetadata: HTTPBIN_NODE });
      return new LazyEnv(host, (h, key) => {
        const [mode, variant] = key.split("|");
        const p = h.loadPluginSync({ module: moduleOf("istio-stats"), name: `stats-${key}`, rootId: mode, vmId: "stats", configuration: variants[Number(variant)], listenerDirection: "INBOUND" });
        recordMetrics(p, sink);
        return p;
      });
    },
    run(env, i) {
      const plugin = (env as LazyEnv).plugin(`${i.mode}|${i.variant}`);
      sink.length = 0;
      const props: Props = { "source.address": "10.0.0.10:5000", "destination.address": "10.0.1.20:80", "connection.mtls": i.peer !== undefined };
      if (i.peer !== undefined) props["connection.uri_san_peer_certificate"] = i.peer;
      // The local certificate belongs to the listener, the same for every mTLS connection (istio-stats learns the
      // local principal from the first connection that shows one).
      if (i.peer !== undefined) props["connection.uri_san_local_certificate"] = LOCAL_SAN;
      const fs: Array<[string, string | Uint8Array | undefined]> = [
        [DOWNSTREAM_PEER, i.downstreamPeer], [UPSTREAM_PEER, i.upstreamPeer], [UPSTREAM_PEER_PRINCIPAL, i.upstreamPrincipal],
        [UPSTREAM_SERVICE, i.upstreamService], [HBONE_SOURCE, i.hboneSource],
      ];
      for (const [k, v] of fs) if (v !== undefined) props[`filter_state.${k}`] = v;
      if (i.mode === "tcp") {
        const c = env.host.tcpConnection({ filters: [plugin], properties: props });
        c.open();
        if (i.reqBody) c.downstreamData(i.reqBody, false);
        c.upstreamData(i.respBody, true);
        c.closeUpstream();
      } else {
        const tunnel = i.mode === "tunnel";
        const s = env.host.httpStream({ filters: [plugin], connection: props });
        const base: Array<[string, string | undefined]> = tunnel
          ? [[":method", "CONNECT"], [":authority", i.authority]]
          : [[":method", "POST"], [":path", "/x"], [":authority", i.authority], [":scheme", "http"], ["content-type", i.contentType]];
        s.sendRequestHeaders(A.headerList(base, i.extra), false);
        s.sendRequestBody(i.reqBody, true);
        if (i.status !== undefined) {
          s.sendResponseHeaders(A.headerList([[":status", i.status], ["grpc-status", i.grpcStatus]], []), false);
          s.sendResponseBody(i.respBody, true);
        }
        s.complete();
      }
      return { decision: { metrics: [...sink], logs: takeLogs(env.host) } };
    },
  };
}

// ---- example-header -----------------------------------------------------------------------------------------

interface ExampleInput { path: string | undefined; method: string; extra: HeaderList; status: string }

function exampleHeaderTraffic(): Target<ExampleInput> & { arbitrary: fc.Arbitrary<ExampleInput> } {
  const config = JSON.stringify({ response_header: { name: "x-served-by", value: "ambient-wasm" }, deny_paths: ["/admin", "/secret"], deny_status: 451 });
  return {
    name: "example-header/traffic", filter: "example-header",
    arbitrary: fc.record({
      path: fc.option(fc.oneof(fc.constantFrom("/admin", "/admin?x", "/admin/", "/secret#", "/"), A.anyText), { nil: undefined, freq: 8 }),
      method: fc.oneof(fc.constant("GET"), A.anyText),
      extra: A.extraHeaders,
      status: A.responseStatus,
    }),
    setup() {
      const host = new Host({ logLevel: "info" });
      return loaded(host, [host.loadPluginSync({ module: moduleOf("example-header"), rootId: "example-header", vmId: "ex", configuration: config })]);
    },
    run(env, i) {
      const s = env.host.httpStream({ filters: env.plugins });
      s.sendRequestHeaders(A.headerList([[":method", i.method], [":path", i.path], [":authority", "a"]], i.extra), true);
      if (!s.localResponse) s.sendResponseHeaders(A.headerList([[":status", i.status], ["x-served-by", "upstream"]], i.extra), true);
      s.complete();
      return { decision: { ...httpDecision(s), logs: takeLogs(env.host) } };
    },
  };
}

// ---- random plugin configurations ---------------------------------------------------------------------------

interface ConfigInput { rootId: string; config: string }

interface ConfigSpec {
  filter: string;
  rootIds: string[];
  base: () => unknown;
  /** A valid configuration loaded first so the VM survives rejected configurations (Envoy discards a failed canary). */
  keeper: { rootId: string; config: string };
  /** One operation through an accepted configuration. */
  probe(host: Host, plugin: Plugin, rootId: string): unknown;
  hostOptions?: ConstructorParameters<typeof Host>[0];
}

function probeHttp(host: Host, plugin: Plugin, headers: HeaderList, connection: Props): unknown {
  const s = host.httpStream({ filters: [plugin], connection });
  s.sendRequestHeaders(headers, false);
  if (!s.localResponse) { s.sendResponseHeaders([[":status", "200"]], false); s.sendRequestBody("x", true); s.sendResponseBody("y", true); }
  s.complete();
  return httpDecision(s);
}

function probeTcp(host: Host, plugin: Plugin, props: Props): unknown {
  const c = host.tcpConnection({ filters: [plugin], properties: props });
  c.open(); c.downstreamData("ping", false); c.upstreamData("pong", true); c.closeUpstream();
  return tcpDecision(c);
}

const MESH_CONNECTION: Props = {
  "source.address": "10.0.0.10:45678", "destination.address": "10.0.1.20:15008", "connection.mtls": true,
  "connection.uri_san_peer_certificate": "spiffe://cluster.local/ns/default/sa/sleep",
};
const HBONE_CONNECT: HeaderList = [[":method", "CONNECT"], [":authority", "10.0.1.20:80"], ["baggage", "k8s.namespace.name=default,k8s.deployment.name=sleep"]];

function configSpecs(): ConfigSpec[] {
  const rbacBase = () => {
    const t = rbacTable();
    return { workload: t.workload, rootNamespace: t.rootNamespace, policies: [...t.policySets["deny-bar-allow-listed"], ...t.policySets["allow-rule-from-and-to"], ...t.policySets["audit-all"]], dryRun: false, statPrefix: "fuzz" };
  };
  return [
    {
      filter: "hbone-inbound", rootIds: ["hbone-inbound"], base: HBONE_INBOUND_CONFIG,
      keeper: { rootId: "hbone-inbound", config: JSON.stringify(HBONE_INBOUND_CONFIG()) },
      probe: (h, p) => probeHttp(h, p, HBONE_CONNECT, MESH_CONNECTION),
    },
    {
      filter: "hbone-outbound", rootIds: [""], base: HBONE_OUTBOUND_CONFIG,
      keeper: { rootId: "", config: JSON.stringify(HBONE_OUTBOUND_CONFIG()) },
      probe: (h, p) => probeTcp(h, p, { "source.address": "10.0.0.10:40000", "destination.address": "10.96.0.20:8000" }),
    },
    {
      filter: "connect-headers", rootIds: [""], base: () => readJson("filters/connect-headers/fixtures/config.json"),
      keeper: { rootId: "", config: JSON.stringify(readJson("filters/connect-headers/fixtures/config.json")) },
      probe: (h, p) => probeHttp(h, p, [[":method", "CONNECT"], [":authority", "1.2.3.4:443"]], { "source.address": "10.0.0.10:1", "connection.requested_server_name": "www.example.com" }),
    },
    {
      filter: "identity-rbac", rootIds: Object.values(RBAC_ROOT), base: rbacBase,
      keeper: { rootId: "identity-rbac-l7", config: JSON.stringify(rbacBase()) },
      probe: (h, p, rootId) => rootId === RBAC_ROOT.l4
        ? probeTcp(h, p, MESH_CONNECTION)
        : probeHttp(h, p, rootId === RBAC_ROOT.connect ? HBONE_CONNECT : [[":method", "GET"], [":path", "/info"], [":authority", "h"]], MESH_CONNECTION),
    },
    {
      filter: "istio-stats", rootIds: ["http", "tcp", "tunnel"],
      base: () => ({ ...(STATS_VARIANTS[0] as object), local: { name: "httpbin", namespace: "default", identity: "spiffe://cluster.local/ns/default/sa/httpbin" }, tcpReportingDuration: "5s", peerFallback: { workload: "w", namespace: "n" } }),
      keeper: { rootId: "http", config: JSON.stringify(STATS_VARIANTS[0]) },
      probe: (h, p, rootId) => rootId === "tcp" ? probeTcp(h, p, MESH_CONNECTION)
        : probeHttp(h, p, rootId === "tunnel" ? HBONE_CONNECT : [[":method", "GET"], [":path", "/"], [":authority", "h"]], MESH_CONNECTION),
      hostOptions: { logLevel: "info", nodeMetadata: HTTPBIN_NODE },
    },
    {
      filter: "example-header", rootIds: ["example-header"],
      base: () => ({ response_header: { name: "x-served-by", value: "ambient-wasm" }, deny_paths: ["/admin"], deny_status: 403 }),
      keeper: { rootId: "example-header", config: JSON.stringify({ response_header: { name: "x-a", value: "b" } }) },
      probe: (h, p) => probeHttp(h, p, [[":method", "GET"], [":path", "/admin"], [":authority", "h"]], {}),
    },
  ];
}

function configTarget(spec: ConfigSpec): Target<ConfigInput> & { arbitrary: fc.Arbitrary<ConfigInput> } {
  let n = 0;
  return {
    name: `${spec.filter}/config`, filter: spec.filter,
    arbitrary: fc.record({ rootId: fc.constantFrom(...spec.rootIds), config: A.anyConfig(spec.base()) }),
    recycleEvery: 300,
    setup() {
      const host = new Host(spec.hostOptions ?? { logLevel: "info" });
      const keeper = host.loadPluginSync({ module: moduleOf(spec.filter), name: "keeper", rootId: spec.keeper.rootId, vmId: "cfg", configuration: spec.keeper.config });
      takeLogs(host);
      return { host, plugins: [keeper] };
    },
    run(env, i) {
      let plugin: Plugin | null = null;
      let error: string | null = null;
      try {
        plugin = env.host.loadPluginSync({ module: moduleOf(spec.filter), name: `cfg-${n++}`, rootId: i.rootId, vmId: "cfg", configuration: i.config });
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      const loadLogs = takeLogs(env.host);
      if (error !== null && !loadLogs.some((l) => /^(error|critical): .*\$/.test(l))) {
        throw new PropertyViolation(`${spec.filter}: configuration rejected (${error}) without an error line naming a JSON path: ${JSON.stringify(loadLogs)}`);
      }
      let probe: unknown = null;
      if (plugin) {
        probe = spec.probe(env.host, plugin, i.rootId);
        env.host.shutdownPlugin(plugin);
      }
      return { decision: { accepted: plugin !== null, error, loadLogs, probe, logs: takeLogs(env.host) } };
    },
  };
}

/** Every fuzz target whose module is built, in a stable order. */
export function fuzzTargets(): Array<Target<any> & { arbitrary: fc.Arbitrary<any> }> {
  const traffic = [hboneInboundTraffic, hboneOutboundTraffic, connectHeadersTraffic, identityRbacTraffic, istioStatsTraffic, exampleHeaderTraffic];
  const out: Array<Target<any> & { arbitrary: fc.Arbitrary<any> }> = [];
  for (const make of traffic) out.push(make());
  for (const spec of configSpecs()) out.push(configTarget(spec));
  return out;
}

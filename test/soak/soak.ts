// Soak: many HBONE CONNECT streams through the 15008 chain (hbone-inbound → identity-rbac → istio-stats tunnel)
// and many TCP connections through the 15001 chain (hbone-outbound → istio-stats tcp, source reporter), both as
// the shipped envoy-configs/ztunnel.yaml configures them (one host, so the two istio-stats plugins share their VM
// as in Envoy), then the exact metric values Envoy would print and the Wasm memory of every VM compared with its
// size after warm-up.
import { Host, type HeaderList, type Plugin, type Props } from "../../emulator/index.ts";
import { loadFilter, moduleBytes, memoryPages } from "../../bench/lifecycle.ts";
import { REQUEST_BYTES, RESPONSE_BYTES, ZTUNNEL, istioStatsTags, ztunnelWasmFilters, type FilterSpec } from "../../bench/scenarios.ts";

export interface SoakOptions {
  requests: number;
  connections: number;
  /** Operations before the memory baseline is taken. */
  warmUp?: number;
  progress?: (text: string) => void;
}

export interface Check {
  what: string;
  expected: number;
  actual: number;
}

export interface SoakReport {
  httpSeconds: number;
  tcpSeconds: number;
  /** Exact expectations: metric values, decision counts. */
  checks: Check[];
  /** Per VM: pages after warm-up and at the end. */
  memory: Array<{ vm: string; afterWarmUp: number; atEnd: number }>;
  traps: string[];
  /** Wasm log lines at warn and above. */
  warnings: string[];
}

/** The three kinds of CONNECT in the mix (per 10 streams: 8 allowed, 1 denied by RBAC, 1 refused by hbone-inbound). */
const ALLOWED = { headers: ZTUNNEL.connect, connection: ZTUNNEL.connection };
const DENIED = {
  // intruder (namespace other) is in the workload table but not allowed by httpbin's policy; its baggage claims to
  // be sleep, which only labels could take from (the table wins for a known source IP).
  headers: ZTUNNEL.connect,
  connection: { ...ZTUNNEL.connection, "source.address": "10.77.2.10:40000", "connection.uri_san_peer_certificate": ZTUNNEL.intruder } as Props,
};
const REFUSED = {
  // sleep runs on node-a, not on this node: hbone-inbound answers 400 before the other filters look.
  headers: [[":method", "CONNECT"], [":authority", "10.77.1.10:80"]] as HeaderList,
  connection: ZTUNNEL.connection,
};

function kindOf(i: number) {
  const r = i % 10;
  return r === 8 ? DENIED : r === 9 ? REFUSED : ALLOWED;
}

function load(host: Host, specs: FilterSpec[]): Plugin[] {
  return specs.map((spec) => {
    const bytes = moduleBytes(spec.filter);
    if (!bytes) throw new Error(`build/${spec.filter}.wasm is missing`);
    return loadFilter(host, spec, bytes);
  });
}

/** Sum of a metric's samples whose labels include every given pair. */
function promSum(text: string, metric: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(metric + "{") || !want.every((w) => line.includes(w))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

function takeWasmLogs(host: Host, warnings: string[], counts: Map<string, number>): void {
  for (const l of host.logs) {
    if (!l.line.startsWith("wasm log")) continue;
    const decision = /^identity-rbac: (\S+) /.exec(l.message);
    if (decision) counts.set(decision[1], (counts.get(decision[1]) ?? 0) + 1);
    if ((l.level === "warn" || l.level === "error" || l.level === "critical") && warnings.length < 20) warnings.push(l.message);
  }
  host.logs.length = 0;
}

export function runSoak(o: SoakOptions): SoakReport {
  const progress = o.progress ?? (() => {});
  const warmUp = o.warmUp ?? 10_000;
  const host = new Host({ logLevel: "info", statsTags: istioStatsTags() });
  const inbound = load(host, ztunnelWasmFilters(15008));
  const outbound = load(host, ztunnelWasmFilters(15001));
  const warnings: string[] = [];
  const decisions = new Map<string, number>();
  takeWasmLogs(host, warnings, new Map());
  const inboundVms = [...new Set(inbound.map((p) => p.vm))];
  // The two istio-stats plugins share one VM (same vm_id, code, vm_config): it keeps its HTTP-phase baseline.
  const outboundVms = [...new Set(outbound.map((p) => p.vm))].filter((vm) => !inboundVms.includes(vm));
  const baseline = new Map<unknown, number>();
  const pagesOf = (vm: (typeof inboundVms)[number]) => memoryPages(host.plugins.filter((p) => p.vm === vm));

  // ---- HTTP: CONNECT streams through the inbound chain ----
  const t0 = performance.now();
  for (let i = 0; i < o.requests; i++) {
    const kind = kindOf(i);
    const s = host.httpStream({ filters: inbound, connection: kind.connection });
    s.sendRequestHeaders(kind.headers, false);
    if (!s.localResponse) {
      s.sendResponseHeaders([[":status", "200"]], false);
      s.sendRequestBody(REQUEST_BYTES, true);
      s.sendResponseBody(RESPONSE_BYTES, true);
    }
    s.complete();
    if (i % 1000 === 999) takeWasmLogs(host, warnings, decisions);
    if (i + 1 === Math.min(warmUp, o.requests)) for (const vm of inboundVms) baseline.set(vm, pagesOf(vm));
    if (i % 100_000 === 99_999) progress(`${i + 1} requests`);
  }
  takeWasmLogs(host, warnings, decisions);
  const httpSeconds = (performance.now() - t0) / 1000;

  // ---- TCP: connections through the outbound chain (to httpbin's VIP: tunnelled; to the Internet: passthrough) ----
  const toHttpbin: Props = { "source.address": "10.77.1.10:40000", "destination.address": "10.96.0.20:8000" };
  const toInternet: Props = { "source.address": "10.77.1.10:40001", "destination.address": "93.184.215.14:443" };
  const t1 = performance.now();
  for (let i = 0; i < o.connections; i++) {
    const c = host.tcpConnection({ filters: outbound, properties: i % 2 === 0 ? toHttpbin : toInternet });
    c.open();
    c.downstreamData(REQUEST_BYTES, false);
    c.upstreamData(RESPONSE_BYTES, true);
    c.closeUpstream();
    if (i % 1000 === 999) takeWasmLogs(host, warnings, decisions);
    if (i + 1 === Math.min(warmUp, o.connections)) for (const vm of outboundVms) baseline.set(vm, pagesOf(vm));
    if (i % 50_000 === 49_999) progress(`${i + 1} connections`);
  }
  takeWasmLogs(host, warnings, decisions);
  const tcpSeconds = (performance.now() - t1) / 1000;

  // ---- exact values ----
  const n = o.requests;
  const allowed = n - Math.floor((n + 1) / 10) - Math.floor(n / 10); // i % 10 in 0..7
  const denied = Math.floor((n + 1) / 10); // i % 10 === 8
  const refused = Math.floor(n / 10); // i % 10 === 9
  const prom = host.prometheus();
  const tunnel = { reporter: "destination", request_protocol: "tcp", destination_workload: "httpbin", destination_principal: ZTUNNEL.httpbin };
  const fromSleep = { ...tunnel, source_principal: ZTUNNEL.sleep, source_workload: "sleep", source_workload_namespace: "client" };
  const fromUntrusted = { ...tunnel, source_principal: ZTUNNEL.intruder, source_workload: "intruder", source_workload_namespace: "other" };
  const tcpToHttpbin = { reporter: "source", source_workload: "sleep", source_principal: ZTUNNEL.sleep, destination_workload: "httpbin", destination_service: "httpbin.server.svc.cluster.local" };
  const hbone = Math.ceil(o.connections / 2), passthrough = Math.floor(o.connections / 2);
  const metric = (name: string) => host.metric(name) ?? 0;
  const checks: Check[] = [
    { what: "identity_rbac.connect.allowed", expected: allowed, actual: metric("wasmcustom.identity_rbac.connect.allowed") },
    { what: "identity_rbac.connect.denied", expected: denied, actual: metric("wasmcustom.identity_rbac.connect.denied") },
    { what: "identity-rbac 'denied' log lines", expected: denied, actual: decisions.get("denied") ?? 0 },
    { what: "istio_tcp_connections_opened_total (all CONNECTs)", expected: n, actual: promSum(prom, "istio_tcp_connections_opened_total", { reporter: "destination" }) },
    { what: "istio_tcp_connections_closed_total (all CONNECTs)", expected: n, actual: promSum(prom, "istio_tcp_connections_closed_total", { reporter: "destination" }) },
    { what: "opened, sleep → httpbin", expected: allowed, actual: promSum(prom, "istio_tcp_connections_opened_total", fromSleep) },
    { what: "closed, sleep → httpbin, response_flags=\"-\"", expected: allowed, actual: promSum(prom, "istio_tcp_connections_closed_total", { ...fromSleep, response_flags: "-" }) },
    { what: "received bytes, sleep → httpbin", expected: allowed * REQUEST_BYTES.length, actual: promSum(prom, "istio_tcp_received_bytes_total", fromSleep) },
    { what: "sent bytes, sleep → httpbin", expected: allowed * RESPONSE_BYTES.length, actual: promSum(prom, "istio_tcp_sent_bytes_total", fromSleep) },
    { what: "closed, intruder, response_flags=\"DENY\"", expected: denied, actual: promSum(prom, "istio_tcp_connections_closed_total", { ...fromUntrusted, response_flags: "DENY" }) },
    { what: "no bytes counted for denied CONNECTs", expected: 0, actual: promSum(prom, "istio_tcp_received_bytes_total", fromUntrusted) + promSum(prom, "istio_tcp_sent_bytes_total", fromUntrusted) },
    { what: "refused CONNECTs: opened without sleep's labels", expected: refused, actual: promSum(prom, "istio_tcp_connections_opened_total", { reporter: "destination" }) - promSum(prom, "istio_tcp_connections_opened_total", fromSleep) - promSum(prom, "istio_tcp_connections_opened_total", fromUntrusted) },
    { what: "outbound opened, sleep → httpbin (source reporter)", expected: hbone, actual: promSum(prom, "istio_tcp_connections_opened_total", tcpToHttpbin) },
    { what: "outbound closed, sleep → httpbin", expected: hbone, actual: promSum(prom, "istio_tcp_connections_closed_total", tcpToHttpbin) },
    { what: "outbound received bytes, sleep → httpbin", expected: hbone * REQUEST_BYTES.length, actual: promSum(prom, "istio_tcp_received_bytes_total", tcpToHttpbin) },
    { what: "outbound sent bytes, sleep → httpbin", expected: hbone * RESPONSE_BYTES.length, actual: promSum(prom, "istio_tcp_sent_bytes_total", tcpToHttpbin) },
    { what: "outbound opened, all (source reporter)", expected: o.connections, actual: promSum(prom, "istio_tcp_connections_opened_total", { reporter: "source" }) },
    { what: "outbound passthrough opened", expected: passthrough, actual: promSum(prom, "istio_tcp_connections_opened_total", { reporter: "source" }) - promSum(prom, "istio_tcp_connections_opened_total", tcpToHttpbin) },
  ];
  const memory = [...inboundVms, ...outboundVms].map((vm) => ({ vm: vm.vmId, afterWarmUp: baseline.get(vm) ?? pagesOf(vm), atEnd: pagesOf(vm) }));
  return { httpSeconds, tcpSeconds, checks, memory, traps: host.traps.map((t) => `${t.plugin} ${t.callback}: ${t.message}`), warnings };
}

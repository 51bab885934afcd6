// `npm run -s bench:rbac-scaling` — identity-rbac L7 under Envoy's default header limits (60 KiB, 100 headers)
// with 10 / 100 / 1000 / 10000 rules: per-request time and peak linear memory, as JSON on stdout.
//
// Each rule reads the request (a `request.headers[x-big]` prefix condition, a path prefix or a host suffix), none
// matches until the last one, so every request walks all rules — the worst case. Cost must grow
// with rules + request size, not rules × request size, and nothing may trap.
//
// Options: --rules 10,100,1000,10000  --requests <n> (timed requests per size, default 200)
import { cpus, platform, arch, release, totalmem } from "node:os";
import { Host, type RawHeaderList } from "../emulator/index.ts";
import { median } from "./measure.ts";

const ENVOY_MAX_HEADER_BYTES = 60 * 1024; // max_request_headers_kb default
const ENVOY_MAX_HEADERS = 100; // max_headers_count default
const SLEEP = "spiffe://cluster.local/ns/foo/sa/sleep";

function parseArgs(argv: string[]): { rules: number[]; requests: number } {
  const o = { rules: [10, 100, 1000, 10000], requests: 200 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--rules") o.rules = argv[++i].split(",").map(Number);
    else if (argv[i] === "--requests") o.requests = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

/** 4 pseudo-headers + 96 copies of x-big, the path filling the rest up to exactly 60 KiB. */
function maximalRequest(pathPrefix: string): RawHeaderList {
  const big = "b".repeat(600);
  const headers: Array<[string, string]> = [[":method", "GET"], [":authority", "httpbin.foo.svc.cluster.local"], [":scheme", "http"]];
  for (let i = 0; i < ENVOY_MAX_HEADERS - 4; i++) headers.push(["x-big", big]);
  const used = headers.reduce((n, [k, v]) => n + k.length + v.length, 0) + ":path".length;
  headers.splice(1, 0, [":path", pathPrefix + "p".repeat(ENVOY_MAX_HEADER_BYTES - used - pathPrefix.length)]);
  return headers;
}

function policies(rules: number): unknown[] {
  const list = [];
  for (let i = 0; i < rules - 1; i++) {
    if (i % 3 === 0) list.push({ when: [{ key: "request.headers[x-big]", values: [`v${i}*`] }] });
    else if (i % 3 === 1) list.push({ to: [{ operation: { paths: [`/r${i}/*`] } }] });
    else list.push({ to: [{ operation: { hosts: [`*.r${i}.example`] } }] });
  }
  list.push({ to: [{ operation: { paths: ["/info/*"] } }] }); // the only match, last
  return [
    { name: "deny-admin", namespace: "foo", spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }] } },
    { name: "allow-many", namespace: "foo", spec: { action: "ALLOW", rules: list } },
  ];
}

function measure(rules: number, requests: number) {
  const host = new Host({ logLevel: "warn" });
  const configuration = JSON.stringify({ workload: { namespace: "foo", labels: {} }, rootNamespace: "istio-system", policies: policies(rules) });
  const t0 = performance.now();
  const plugin = host.loadPluginSync({ module: "build/identity-rbac.wasm", rootId: "identity-rbac-l7", configuration });
  const configureMs = performance.now() - t0;
  const pages = () => plugin.vm.mem.memory.buffer.byteLength / 65536;
  const afterConfigure = pages();
  const allowed = maximalRequest("/info/");
  const denied = maximalRequest("/admin/");
  const send = (headers: RawHeaderList) => {
    const s = host.httpStream({ filters: [plugin], connection: { "connection.mtls": true, "connection.uri_san_peer_certificate": SLEEP,
      "source.address": "10.1.0.7:40000", "destination.address": "10.0.0.5:8000" } });
    s.sendRequestHeaders(headers, true);
    const status = s.localResponse?.status ?? 200;
    if (status === 200) s.sendResponseHeaders([[":status", "200"]], true);
    s.complete();
    return status;
  };
  if (send(allowed) !== 200 || send(denied) !== 403) throw new Error(`${rules} rules: wrong decision`);
  const afterFirst = pages();
  const times: number[] = [];
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    const start = performance.now();
    const status = send(allowed);
    times.push(performance.now() - start);
    if (status !== 200) throw new Error(`${rules} rules: request ${i} got ${status}`);
  }
  const cpu = process.cpuUsage(cpuStart);
  if (send(denied) !== 403) throw new Error(`${rules} rules: /admin not denied after ${requests} requests`);
  const peak = pages();
  return {
    rules,
    request_header_bytes: allowed.reduce((n, [k, v]) => n + k.length + (typeof v === "string" ? v.length : v.length), 0),
    request_headers: allowed.length,
    configure_ms: Number(configureMs.toFixed(1)),
    per_request_ms_median: Number(median(times).toFixed(3)),
    per_request_ms_max: Number(Math.max(...times).toFixed(3)),
    // CPU time of this process per request: less disturbed than wall time on a shared machine.
    per_request_cpu_ms: Number(((cpu.user + cpu.system) / 1000 / requests).toFixed(3)),
    pages_after_configure: afterConfigure,
    pages_after_first_request: afterFirst,
    peak_pages: peak,
    peak_linear_memory_bytes: peak * 65536,
    request_memory_growth_pages: peak - afterConfigure,
    traps: host.traps.length,
  };
}

const options = parseArgs(process.argv.slice(2));
const results = options.rules.map((n) => {
  process.stderr.write(`identity-rbac: ${n} rules…\n`);
  return measure(n, options.requests);
});
const base = results[0];
console.log(JSON.stringify({
  benchmark: "rbac-scaling",
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memory_bytes: totalmem(), platform: platform(), arch: arch(), kernel: release(), node: process.version },
  limits: { max_request_headers_kb: ENVOY_MAX_HEADER_BYTES / 1024, max_headers_count: ENVOY_MAX_HEADERS },
  requests_per_size: options.requests,
  results,
  // CPU per request per rule relative to the smallest size: falls towards a constant when cost is linear in the rules.
  per_rule_cost_ratio: results.map((r) => Number(((r.per_request_cpu_ms / r.rules) / (base.per_request_cpu_ms / base.rules)).toFixed(3))),
  no_trap: results.every((r) => r.traps === 0),
}, null, 2));

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { DOWNSTREAM_PEER, ORIGINAL_DST_ADDRESS, UPSTREAM_PEER, UPSTREAM_PEER_PRINCIPAL, UPSTREAM_SERVICE } from "../../lib/filter-state-keys.ts";
import { showFigure } from "../../test/figures.ts";

const WASM = "build/hbone-inbound.wasm";
const FIXTURE = JSON.parse(readFileSync(new URL("./fixtures/config.json", import.meta.url), "utf8"));
const ID = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
const SLEEP_BAGGAGE = "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=latest";
const HTTPBIN_BAGGAGE = "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=httpbin,service.name=httpbin,service.version=v1";

interface Options {
  source?: string | null;
  destination?: string | null;
  config?: unknown;
  method?: string;
}

/** Sends one CONNECT through the filter on a 15008 mTLS connection. */
async function connect(authority: string | null, extra: Array<[string, string]> = [], o: Options = {}) {
  const host = new Host({ logLevel: "debug", countHostCalls: true });
  const config = o.config ?? FIXTURE;
  const plugin = await host.loadPlugin({ module: WASM, configuration: typeof config === "string" ? config : JSON.stringify(config) });
  const connection: Record<string, string | boolean> = { "connection.mtls": true, "connection.uri_san_peer_certificate": ID("default", "sleep") };
  const source = o.source === undefined ? "10.0.0.10:45678" : o.source;
  const destination = o.destination === undefined ? "10.0.1.20:15008" : o.destination;
  if (source !== null) connection["source.address"] = source;
  if (destination !== null) connection["destination.address"] = destination;
  const s = host.httpStream({ filters: [plugin], connection });
  const headers: Array<[string, string]> = [[":method", o.method ?? "CONNECT"]];
  if (authority !== null) headers.push([":authority", authority]);
  headers.push(...extra);
  const counter = host.hostCalls!;
  counter.reset();
  s.sendRequestHeaders(headers, false);
  const calls = counter.total(["env.proxy_log", "env.proxy_get_log_level"]);
  const forwarded = s.upstreamRequest.headers;
  const header = (name: string) => (forwarded ?? []).filter(([k]) => k === name).map(([, v]) => v);
  return { host, s, calls, breakdown: counter.snapshot(), get: (k: string) => s.filterState.plain(k), header };
}

describe("hbone-inbound: accepted CONNECTs", () => {
  it("routes pod-ip:port to the local workload via filter state and its own x-envoy-original-dst-host", async () => {
    const { s, get, header, host } = await connect("10.0.1.20:80");
    expect(s.localResponse).toBeNull();
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("10.0.1.20:80");
    expect(header("x-envoy-original-dst-host")).toEqual(["10.0.1.20:80"]);
    expect(get(UPSTREAM_PEER)).toBe(HTTPBIN_BAGGAGE);
    expect(get(UPSTREAM_PEER_PRINCIPAL)).toBe(ID("default", "httpbin"));
    expect(get(DOWNSTREAM_PEER)).toBe(SLEEP_BAGGAGE);
    expect(host.traps).toEqual([]);
  });

  it("replaces a client's x-envoy-original-dst-host and strips forgeable peer-metadata headers", async () => {
    const { header } = await connect("10.0.1.20:80", [
      ["x-envoy-original-dst-host", "10.0.0.1:22"], ["x-envoy-original-dst-host", "169.254.169.254:80"],
      ["x-envoy-peer-metadata", "Zm9v"], ["x-envoy-peer-metadata-id", "sidecar~1.2.3.4~evil"],
    ]);
    expect(header("x-envoy-original-dst-host")).toEqual(["10.0.1.20:80"]);
    expect(header("x-envoy-peer-metadata")).toEqual([]);
    expect(header("x-envoy-peer-metadata-id")).toEqual([]);
  });

  it("never reads a header it strips: stripped baggage and forwarded publish nothing", async () => {
    const config = { ...FIXTURE, sourceMetadata: "baggage", stripHeaders: ["baggage", "forwarded"] };
    const { get, header, s } = await connect("10.0.1.20:80", [
      ["baggage", SLEEP_BAGGAGE], ["forwarded", 'for="10.0.0.10:1";host=httpbin.default.svc.cluster.local'],
    ], { config });
    expect(s.localResponse).toBeNull();
    expect(header("baggage")).toEqual([]);
    expect(header("forwarded")).toEqual([]);
    expect(get(DOWNSTREAM_PEER)).toBeNull();
    expect(get(UPSTREAM_SERVICE)).toBeNull();
    // the same request without stripping does publish both
    const kept = await connect("10.0.1.20:80", [
      ["baggage", SLEEP_BAGGAGE], ["forwarded", 'for="10.0.0.10:1";host=httpbin.default.svc.cluster.local'],
    ], { config: { ...FIXTURE, sourceMetadata: "baggage" } });
    expect(kept.get(DOWNSTREAM_PEER)).toBe(SLEEP_BAGGAGE);
    expect(kept.get(UPSTREAM_SERVICE)).toBe("httpbin.default.svc.cluster.local");
  });

  it("maps service-hostname:port to the local backend's target port", async () => {
    const { get, s } = await connect("httpbin.default.svc.cluster.local:8000");
    expect(s.localResponse).toBeNull();
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("10.0.1.20:80");
    expect(get(UPSTREAM_SERVICE)).toBe("httpbin.default.svc.cluster.local");
    const admin = await connect("HTTPBIN-ADMIN.default.svc.cluster.local:9000");
    expect(admin.get(ORIGINAL_DST_ADDRESS)).toBe("10.0.1.20:9901");
  });

  it("uses forwarded host= to name the destination service (for= is ignored)", async () => {
    const { get } = await connect("10.0.1.20:9901", [["forwarded", 'for="6.6.6.6:1";host=httpbin-admin.default.svc.cluster.local']]);
    expect(get(UPSTREAM_SERVICE)).toBe("httpbin-admin.default.svc.cluster.local");
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("10.0.1.20:9901");
    // a host= that is not one of the workload's services is not reported
    const other = await connect("10.0.1.20:80", [["forwarded", "for=1.1.1.1;host=reviews.bookinfo.svc.cluster.local"]]);
    expect(other.get(UPSTREAM_SERVICE)).toBeNull();
  });

  it("handles IPv6 authorities in any spelling and brackets the dial address", async () => {
    const { get, header, s } = await connect("[fd00:1:0:0::20]:8080", [], { destination: "[fd00:1::20]:15008", source: "[fd00::10]:1" });
    expect(s.localResponse).toBeNull();
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("[fd00:1::20]:8080");
    expect(header("x-envoy-original-dst-host")).toEqual(["[fd00:1::20]:8080"]);
  });

  it("accepts an authority that differs from the connection's address when requireDestinationMatch is off", async () => {
    const { s, get } = await connect("10.0.1.20:80", [], { destination: "10.0.1.99:15008", config: { ...FIXTURE, requireDestinationMatch: false } });
    expect(s.localResponse).toBeNull();
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("10.0.1.20:80");
  });

  it("honours target: filterState only / header only", async () => {
    const fs = await connect("10.0.1.20:80", [["x-envoy-original-dst-host", "10.0.0.1:22"]], { config: { ...FIXTURE, target: "filterState" } });
    expect(fs.get(ORIGINAL_DST_ADDRESS)).toBe("10.0.1.20:80");
    expect(fs.header("x-envoy-original-dst-host")).toEqual([]); // the client's copy is still removed
    const hdr = await connect("10.0.1.20:80", [], { config: { ...FIXTURE, target: "header" } });
    expect(hdr.get(ORIGINAL_DST_ADDRESS)).toBeNull();
    expect(hdr.header("x-envoy-original-dst-host")).toEqual(["10.0.1.20:80"]);
  });
});

describe("hbone-inbound: refused CONNECTs (ztunnel's status codes, docs/envoy-facts.md: hbone-inbound)", () => {
  const refused = async (authority: string | null, status: number, details: string, o: Options = {}) => {
    const { s, get, host } = await connect(authority, [["x-envoy-original-dst-host", "10.0.0.1:22"]], o);
    expect(s.localResponse?.status, String(authority)).toBe(status);
    expect(s.localResponse?.details).toBe(details);
    expect(s.upstreamRequest.headers).toBeNull();
    expect(get(ORIGINAL_DST_ADDRESS)).toBeNull();
    expect(host.traps).toEqual([]);
  };

  it("400 for a method other than CONNECT", () => refused("10.0.1.20:80", 400, "hbone_method_not_connect", { method: "GET" }));
  it("400 for an authority that is not a local workload", async () => {
    await refused("10.0.2.32:9080", 400, "hbone_authority_not_local"); // in the table, other node
    await refused("10.0.0.10:80", 400, "hbone_authority_not_local"); // sleep lives on node-a
    await refused("10.9.9.9:80", 400, "hbone_authority_not_local");
  });
  it("400 when the authority's IP is not the address the connection was made to", async () => {
    await refused("10.0.1.20:80", 400, "hbone_authority_ip_mismatch", { destination: "10.0.1.99:15008" });
    await refused("10.0.1.20:80", 400, "hbone_authority_ip_mismatch", { destination: null });
  });
  it("503 for a self-call port", () => refused("10.0.1.20:15008", 503, "hbone_self_call_port"));
  it("503 for a hostname that is no local service port", async () => {
    await refused("httpbin.default.svc.cluster.local:9999", 503, "hbone_unknown_service");
    await refused("reviews.bookinfo.svc.cluster.local:9080", 503, "hbone_unknown_service");
  });
  it("400 for malformed or hostile authorities, never a trap", async () => {
    for (const authority of [
      null, "", "10.0.1.20", "10.0.1.20:", "10.0.1.20:abc", "10.0.1.20:0", "10.0.1.20:65536", "fd00:1::20:80", "[fd00:1::20",
      "[fd00:1::20]", "evil@10.0.1.20:80", "10.0.1.20:80/x", "x".repeat(70000) + ":80", "\u0000:80", "é.example:80", "[::ffff:300.1.1.1]:80",
    ]) {
      await refused(authority, 400, "hbone_bad_authority");
    }
  });
});

describe("hbone-inbound: source metadata for the metrics filter", () => {
  const OTHER = "k8s.namespace.name=foo,k8s.deployment.name=bar,service.name=bar,service.version=v9";

  it("prefers the table entry of the TCP peer over baggage", async () => {
    const { get } = await connect("10.0.1.20:80", [["baggage", OTHER]]);
    expect(get(DOWNSTREAM_PEER)).toBe(SLEEP_BAGGAGE);
  });

  it("falls back to baggage (re-encoded from parsed fields) for peers outside the table", async () => {
    const { get } = await connect("10.0.1.20:80", [["baggage", " k8s.namespace.name = foo ,k8s.deployment.name=bar;p=1,service.name=bar, service.version=v9,x=y"]], { source: "10.5.5.5:1" });
    expect(get(DOWNSTREAM_PEER)).toBe(OTHER);
  });

  it("sourceMetadata: baggage ignores the table, table ignores baggage", async () => {
    const b = await connect("10.0.1.20:80", [["baggage", OTHER]], { config: { ...FIXTURE, sourceMetadata: "baggage" } });
    expect(b.get(DOWNSTREAM_PEER)).toBe(OTHER);
    const t = await connect("10.0.1.20:80", [["baggage", OTHER]], { source: "10.5.5.5:1", config: { ...FIXTURE, sourceMetadata: "table" } });
    expect(t.get(DOWNSTREAM_PEER)).toBeNull();
  });

  it("hostile baggage never becomes identity and oversized baggage is dropped whole", async () => {
    const cases: Array<[string, string | null]> = [
      ["k8s.namespace.name=" + "a".repeat(9000), null], // over 8192 bytes
      [Array.from({ length: 70 }, (_, i) => `k${i}=v`).join(","), null], // over 64 members
      ["garbage", null],
      ["k8s.namespace.name=a%2Cspiffe://x/ns/y/sa/z", "k8s.namespace.name=a%2Cspiffe://x/ns/y/sa/z"],
      ["k8s.namespace.name=%ZZ,service.name=ok", "service.name=ok"],
      ["k8s.namespace.name=\u0001,service.name=\"q\",service.version=1", "service.version=1"],
    ];
    for (const [baggage, expected] of cases) {
      const { get, s, host } = await connect("10.0.1.20:80", [["baggage", baggage]], { source: "10.5.5.5:1" });
      expect(s.localResponse).toBeNull();
      expect(get(DOWNSTREAM_PEER), baggage.slice(0, 40)).toBe(expected);
      expect(get(UPSTREAM_PEER_PRINCIPAL)).toBe(ID("default", "httpbin"));
      expect(s.filterState.keys().filter((k) => k.includes("principal"))).toEqual([UPSTREAM_PEER_PRINCIPAL]);
      expect(host.traps).toEqual([]);
    }
  });

  it("ignores oversized or malformed forwarded headers", async () => {
    for (const f of ["host=" + "a".repeat(5000), 'for="unterminated', "host=httpbin-admin.default.svc.cluster.local;host=x", "\u0000"]) {
      const { get, s } = await connect("10.0.1.20:80", [["forwarded", f]]);
      expect(s.localResponse).toBeNull();
      expect(get(UPSTREAM_SERVICE)).toBeNull();
    }
  });
});

describe("hbone-inbound: configuration", () => {
  const cases: Array<[string, unknown, string]> = [
    ["not JSON", "{\"node\":", "$"],
    ["unknown field", { ...FIXTURE, mode: "x" }, "$.mode: unknown field"],
    ["target", { ...FIXTURE, target: "metadata" }, "$.target: must be one of filterState, header, both"],
    ["sourceMetadata", { ...FIXTURE, sourceMetadata: "peer" }, "$.sourceMetadata: must be one of tableThenBaggage, table, baggage"],
    ["requireDestinationMatch", { ...FIXTURE, requireDestinationMatch: "no" }, "$.requireDestinationMatch: expected boolean, got string"],
    ["stripHeaders entry", { ...FIXTURE, stripHeaders: ["X-Upper"] }, "$.stripHeaders[0]: must be a lower-case header name"],
    ["illegalPorts entry", { ...FIXTURE, illegalPorts: [0] }, "$.illegalPorts[0]: must be between 1 and 65535"],
    ["no local workload", { ...FIXTURE, node: "node-z" }, "$.node: no local workload"],
    ["empty table", { workloads: [] }, "$.workloads: no local workload"],
    ["workload", { ...FIXTURE, workloads: [{ name: "x" }] }, "$.workloads[0].namespace: required field is missing"],
  ];
  for (const [name, config, message] of cases) {
    it(name, async () => {
      const host = new Host();
      await expect(host.loadPlugin({ module: WASM, configuration: typeof config === "string" ? config : JSON.stringify(config) })).rejects.toThrow();
      expect(host.logs.filter((l) => l.level === "error").map((l) => l.message).join("\n")).toContain(
        "hbone-inbound: invalid plugin configuration: " + message,
      );
    });
  }

  it("503 when Envoy refuses the filter state and only filter state is configured", async () => {
    const host = new Host();
    const plugin = await host.loadPlugin({ module: WASM, configuration: JSON.stringify({ ...FIXTURE, target: "filterState" }) });
    host.registerForeignFunction("set_envoy_filter_state", () => ({ status: 1 }));
    const s = host.httpStream({ filters: [plugin], connection: { "destination.address": "10.0.1.20:15008", "source.address": "10.0.0.10:1" } });
    s.sendRequestHeaders([[":method", "CONNECT"], [":authority", "10.0.1.20:80"]], false);
    expect(s.localResponse?.status).toBe(503);
    expect(s.localResponse?.details).toBe("hbone_filter_state_refused");
  });
});

describe("hbone-inbound: cost", () => {
  it("host calls per CONNECT stay small (measured, see README)", async () => {
    const ok = await connect("10.0.1.20:80", [["baggage", SLEEP_BAGGAGE]]);
    const bad = await connect("10.9.9.9:80");
    expect(ok.calls).toBeLessThanOrEqual(9); // 4 set_property since wasm.hbone_connect_target
    expect(bad.calls).toBeLessThanOrEqual(3);
    showFigure("host calls per CONNECT:", { accepted: ok.breakdown, refused: bad.breakdown });
  });
});

describe("hbone-inbound: the shipped envoy.yaml snippet", () => {
  it("its plugin configuration loads and routes a CONNECT to the local app", async () => {
    const { parse } = await import("yaml");
    const snippet = parse(readFileSync(new URL("./envoy.yaml", import.meta.url), "utf8"));
    const hcm = snippet.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    const wasm = hcm.http_filters.find((f: { name: string }) => f.name === "envoy.filters.http.wasm");
    const config = wasm.typed_config.config.configuration.value as string;
    const { s, get, header } = await connect("10.0.0.20:80", [], { config, destination: "10.0.0.20:15008" });
    expect(s.localResponse).toBeNull();
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("10.0.0.20:80");
    expect(header("x-envoy-original-dst-host")).toEqual(["10.0.0.20:80"]);
    // the cluster the route uses reads the header only with use_http_header (the fallback path)
    const cluster = snippet.static_resources.clusters.find((c: { name: string }) => c.name === hcm.route_config.virtual_hosts[0].routes[0].route.cluster);
    expect(cluster.type).toBe("ORIGINAL_DST");
    expect(cluster.original_dst_lb_config.use_http_header).toBe(true);
  });
});

describe("hbone-inbound: property-based hostile input", () => {
  it("any :authority / baggage / forwarded either is refused with 400/503 or reaches a local workload, never a trap", async () => {
    const fc = await import("fast-check");
    const host = new Host();
    const plugin = await host.loadPlugin({ module: WASM, configuration: JSON.stringify(FIXTURE) });
    const local = new Set(["10.0.1.20", "[fd00:1::20]"]);
    const authority = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.tuple(fc.constantFrom("10.0.1.20", "[fd00:1::20]", "10.0.2.32", "httpbin.default.svc.cluster.local", "[::1]", "x"),
        fc.integer({ min: -5, max: 70000 })).map(([h, p]) => `${h}:${p}`),
    );
    fc.assert(
      fc.property(authority, fc.string({ maxLength: 9000 }), fc.string({ maxLength: 5000 }), (a, baggage, forwarded) => {
        const s = host.httpStream({ filters: [plugin], connection: { "destination.address": "10.0.1.20:15008", "source.address": "10.5.5.5:1" } });
        s.sendRequestHeaders([[":method", "CONNECT"], [":authority", a], ["baggage", baggage], ["forwarded", forwarded]], false);
        const reply = s.localResponse;
        if (reply !== null) {
          expect([400, 503]).toContain(reply.status);
        } else {
          const target = s.filterState.plain(ORIGINAL_DST_ADDRESS)!;
          expect(local.has(target.slice(0, target.lastIndexOf(":")))).toBe(true);
          const peer = s.filterState.plain(DOWNSTREAM_PEER);
          if (peer !== null) expect(peer).toMatch(/^[\x21-\x7e]*$/);
        }
        s.complete();
      }),
      { numRuns: 300 },
    );
    expect(host.traps).toEqual([]);
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { Host } from "../../emulator/index.ts";
import { DISABLE_TUNNELING, HBONE_AUTHORITY, HBONE_BAGGAGE, HBONE_FORWARDED, HBONE_ORIGINAL_DST, HBONE_ROUTE, HBONE_SOURCE, HBONE_TRACEPARENT, HBONE_XFF, ORIGINAL_DST_ADDRESS, TCP_PROXY_CLUSTER, UPSTREAM_PEER, UPSTREAM_PEER_PRINCIPAL, UPSTREAM_SERVICE, UPSTREAM_SUBJECT_ALT_NAMES } from "../../lib/filter-state-keys.ts";
import { showFigure } from "../../test/figures.ts";

const WASM = "build/hbone-outbound.wasm";
const FIXTURE = JSON.parse(readFileSync(new URL("./fixtures/config.json", import.meta.url), "utf8"));
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/;
const ID = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
const SLEEP = "10.0.0.10:40000";
const SLEEP_BAGGAGE = "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=v1";

async function load(config: unknown = FIXTURE) {
  const host = new Host({ logLevel: "debug", countHostCalls: true });
  const plugin = await host.loadPlugin({ module: WASM, configuration: typeof config === "string" ? config : JSON.stringify(config) });
  return { host, plugin };
}

// The tcp_proxy of the shipped snippet: the emulator computes the CONNECT request it would send.
const SNIPPET = parseYaml(readFileSync(new URL("./envoy.yaml", import.meta.url), "utf8"));
const SNIPPET_FILTERS = SNIPPET.static_resources.listeners[0].filter_chains[0].filters;
const TCP_PROXY = SNIPPET_FILTERS.find((f: { name: string }) => f.name === "envoy.filters.network.tcp_proxy").typed_config;

/** Opens one connection and returns what Envoy would see in filter state afterwards. */
async function connect(source: string | null, destination: string | null, config: unknown = FIXTURE) {
  const { host, plugin } = await load(config);
  const properties: Record<string, string> = {};
  if (source !== null) properties["source.address"] = source;
  if (destination !== null) properties["destination.address"] = destination;
  const c = host.tcpConnection({ filters: [plugin], properties, tcpProxy: TCP_PROXY });
  const counter = host.hostCalls!;
  counter.reset();
  c.open();
  const calls = counter.total(["env.proxy_log", "env.proxy_get_log_level"]);
  const fs = c.filterState;
  const get = (key: string) => fs.plain(key);
  return { host, c, get, calls, breakdown: counter.snapshot() };
}

describe("hbone-outbound: hop rules (docs/envoy-facts.md: hbone-outbound-hops)", () => {
  it("tunnels directly to an HBONE pod: pod:15008, :authority pod:port, identity of the pod", async () => {
    const { get, c, host } = await connect(SLEEP, "10.0.1.20:80");
    expect(get(TCP_PROXY_CLUSTER)).toBe("hbone_originate");
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("10.0.1.20:15008");
    expect(get(DISABLE_TUNNELING)).toBeNull();
    expect(get(UPSTREAM_SUBJECT_ALT_NAMES)).toBe(ID("default", "httpbin"));
    expect(get(HBONE_AUTHORITY)).toBe("10.0.1.20:80");
    expect(get(HBONE_ORIGINAL_DST)).toBe("10.0.1.20:80");
    expect(get(HBONE_BAGGAGE)).toBe(
      "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=v1",
    );
    expect(get(HBONE_FORWARDED)).toBe('for="10.0.0.10:40000"');
    expect(get(HBONE_XFF)).toBe("10.0.0.10");
    expect(get(HBONE_TRACEPARENT)).toMatch(TRACEPARENT);
    expect(get(HBONE_ROUTE)).toBe("hbone");
    expect(get(UPSTREAM_PEER)).toBe(
      "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=httpbin,service.name=httpbin,service.version=v1",
    );
    expect(get(UPSTREAM_PEER_PRINCIPAL)).toBe(ID("default", "httpbin"));
    expect(get(UPSTREAM_SERVICE)).toBeNull();
    // For istio-stats (source reporter): the source's identity (tunnelled) and its baggage, one value.
    expect(get(HBONE_SOURCE)).toBe(ID("default", "sleep") + "\n" + get(HBONE_BAGGAGE));
    // What tcp_proxy does with it: the HBONE cluster, pod:15008, and this CONNECT request.
    const proxy = c.tcpProxy!;
    expect(proxy.cluster).toBe("hbone_originate");
    expect(proxy.tunnelled).toBe(true);
    expect(proxy.originalDestination).toBe("10.0.1.20:15008");
    expect(proxy.upstreamSubjectAltNames).toEqual([ID("default", "httpbin")]);
    expect(proxy.connect!.headers.slice(0, 2)).toEqual([[":method", "CONNECT"], [":authority", "10.0.1.20:80"]]);
    expect(proxy.connect!.header("baggage")).toBe(SLEEP_BAGGAGE);
    expect(proxy.connect!.header("forwarded")).toBe('for="10.0.0.10:40000"');
    expect(proxy.connect!.header("traceparent")).toMatch(TRACEPARENT);
    expect(proxy.connect!.header("x-envoy-original-dst-host")).toBe("10.0.1.20:80");
    expect(c.closed).toBeNull();
    expect(host.traps).toEqual([]);
  });

  it("translates a service VIP:port to the backend pod and its target port, with forwarded host=", async () => {
    const { get } = await connect(SLEEP, "10.96.0.20:8000");
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("10.0.1.20:15008");
    expect(get(HBONE_AUTHORITY)).toBe("10.0.1.20:80");
    expect(get(HBONE_FORWARDED)).toBe('for="10.0.0.10:40000";host=httpbin.default.svc.cluster.local');
    expect(get(UPSTREAM_SERVICE)).toBe("httpbin.default.svc.cluster.local");
  });

  it("handles a workload behind several services and ports", async () => {
    expect((await connect(SLEEP, "10.96.0.21:9000")).get(HBONE_AUTHORITY)).toBe("10.0.1.20:9901");
    const admin = await connect(SLEEP, "10.96.0.21:9443");
    expect(admin.get(HBONE_AUTHORITY)).toBe("10.0.1.20:443");
    expect(admin.get(UPSTREAM_SERVICE)).toBe("httpbin-admin.default.svc.cluster.local");
    const unexposed = await connect(SLEEP, "10.96.0.21:9999");
    expect(unexposed.get(TCP_PROXY_CLUSTER)).toBe("BlackHoleCluster");
    expect(unexposed.get(HBONE_ROUTE)).toBe("blackhole");
  });

  it("spreads connections to a service over its backends", async () => {
    const { host, plugin } = await load();
    const targets = new Set<string | null>();
    for (let i = 0; i < 6; i++) {
      const c = host.tcpConnection({ filters: [plugin], properties: { "source.address": SLEEP, "destination.address": "10.96.2.30:9080" } });
      c.open();
      targets.add(c.filterState.plain(ORIGINAL_DST_ADDRESS));
      expect(c.filterState.plain(HBONE_AUTHORITY)).toBe(c.filterState.plain(ORIGINAL_DST_ADDRESS)!.replace(":15008", ":9080"));
    }
    expect([...targets].sort()).toEqual(["10.0.2.31:15008", "10.0.2.32:15008"]);
  });

  it("sends service traffic through the service's waypoint with :authority = the VIP:port dialled", async () => {
    const { get } = await connect(SLEEP, "10.96.2.40:9080");
    expect(get(TCP_PROXY_CLUSTER)).toBe("hbone_originate");
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("10.0.2.99:15008");
    expect(get(HBONE_AUTHORITY)).toBe("10.96.2.40:9080");
    expect(get(HBONE_ROUTE)).toBe("waypoint");
    // the waypoint's identity comes from its own table entry when the waypoint reference has none
    expect(get(UPSTREAM_SUBJECT_ALT_NAMES)).toBe(ID("bookinfo", "bookinfo-waypoint"));
    expect(get(UPSTREAM_PEER_PRINCIPAL)).toBe(ID("bookinfo", "bookinfo-waypoint"));
    expect(get(UPSTREAM_SERVICE)).toBe("ratings.bookinfo.svc.cluster.local");
    expect(get(HBONE_FORWARDED)).toBe('for="10.0.0.10:40000";host=ratings.bookinfo.svc.cluster.local');
    expect(get(HBONE_SOURCE)).toBe(ID("default", "sleep") + "\n" + SLEEP_BAGGAGE);
  });

  it("sends workload-addressed traffic through the workload's waypoint, unless it comes from that waypoint", async () => {
    const via = await connect(SLEEP, "10.0.2.50:9080");
    expect(via.get(ORIGINAL_DST_ADDRESS)).toBe("10.0.2.99:15008");
    expect(via.get(HBONE_AUTHORITY)).toBe("10.0.2.50:9080");
    expect(via.get(UPSTREAM_SUBJECT_ALT_NAMES)).toBe(ID("bookinfo", "bookinfo-waypoint"));
    expect(via.get(UPSTREAM_PEER)).toContain("k8s.deployment.name=details");

    const fromWaypoint = await connect("10.0.2.99:50000", "10.0.2.50:9080");
    expect(fromWaypoint.get(HBONE_ROUTE)).toBe("hbone");
    expect(fromWaypoint.get(ORIGINAL_DST_ADDRESS)).toBe("10.0.2.50:15008");
    expect(fromWaypoint.get(UPSTREAM_SUBJECT_ALT_NAMES)).toBe(ID("bookinfo", "details"));
    expect(fromWaypoint.get(HBONE_BAGGAGE)).toContain("k8s.deployment.name=bookinfo-waypoint");
  });

  it("sends plain TCP to a workload that does not speak HBONE (still translating the service port)", async () => {
    const { get } = await connect(SLEEP, "10.96.3.5:5432");
    expect(get(TCP_PROXY_CLUSTER)).toBe("PlainTcpCluster");
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("10.0.3.5:15432");
    expect(get(DISABLE_TUNNELING)).toBe("true");
    expect(get(HBONE_AUTHORITY)).toBeNull();
    expect(get(HBONE_BAGGAGE)).toBeNull();
    expect(get(UPSTREAM_SUBJECT_ALT_NAMES)).toBeNull();
    expect(get(HBONE_ROUTE)).toBe("plain");
    expect(get(UPSTREAM_PEER)).toContain("k8s.deployment.name=legacy-db");
    expect(get(UPSTREAM_PEER_PRINCIPAL)).toBeNull();
    // plain TCP carries no identity: the source's baggage only
    expect(get(HBONE_SOURCE)).toBe("\n" + SLEEP_BAGGAGE);
  });

  it("passes destinations outside the table through as plain TCP to the original destination", async () => {
    const { get } = await connect(SLEEP, "93.184.216.34:443");
    expect(get(TCP_PROXY_CLUSTER)).toBe("PassthroughCluster");
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("93.184.216.34:443");
    expect(get(DISABLE_TUNNELING)).toBe("true");
    expect(get(HBONE_ROUTE)).toBe("passthrough");
    for (const key of [HBONE_AUTHORITY, HBONE_BAGGAGE, HBONE_FORWARDED, UPSTREAM_PEER, UPSTREAM_PEER_PRINCIPAL]) {
      expect(get(key), key).toBeNull();
    }
    expect(get(HBONE_SOURCE)).toBe("\n" + SLEEP_BAGGAGE);
    // a source outside the table is not described at all
    expect((await connect("10.9.9.9:1000", "93.184.216.34:443")).get(HBONE_SOURCE)).toBeNull();
  });

  it("blackholes connections to the capture port itself", async () => {
    for (const dst of ["10.0.1.20:15001", "93.184.216.34:15001"]) {
      const { get } = await connect(SLEEP, dst);
      expect(get(TCP_PROXY_CLUSTER)).toBe("BlackHoleCluster");
      expect(get(DISABLE_TUNNELING)).toBe("true");
      expect(get(ORIGINAL_DST_ADDRESS)).toBeNull();
      expect(get(HBONE_SOURCE)).toBe("\n" + SLEEP_BAGGAGE);
    }
  });

  it("brackets IPv6 in the dial address, :authority, forwarded and keeps XFF bare", async () => {
    const { get } = await connect("[fd00::10]:5555", "[fd00:96:0:0::20]:80");
    expect(get(ORIGINAL_DST_ADDRESS)).toBe("[fd00:1::20]:15008");
    expect(get(HBONE_AUTHORITY)).toBe("[fd00:1::20]:8080");
    expect(get(HBONE_ORIGINAL_DST)).toBe("[fd00:1::20]:8080");
    expect(get(HBONE_FORWARDED)).toBe('for="[fd00::10]:5555";host=web.v6.svc.cluster.local');
    expect(get(HBONE_XFF)).toBe("fd00::10");
    expect(get(HBONE_BAGGAGE)).toContain("k8s.deployment.name=sleep");
    const direct = await connect("[fd00::10]:5555", "[fd00:1::20]:8080");
    expect(direct.get(ORIGINAL_DST_ADDRESS)).toBe("[fd00:1::20]:15008");
    const out = await connect("[fd00::10]:5555", "[2001:db8::1]:443");
    expect(out.get(ORIGINAL_DST_ADDRESS)).toBe("[2001:db8::1]:443");
  });

  it("uses the source identity's own HBONE cluster when one is configured", async () => {
    const { get } = await connect("10.0.0.11:1234", "10.0.1.20:80");
    expect(get(TCP_PROXY_CLUSTER)).toBe("hbone_originate_curl");
    expect(get(HBONE_BAGGAGE)).toBe(
      "k8s.cluster.name=Kubernetes,k8s.namespace.name=tools,k8s.pod.name=curl,service.name=curl,service.version=latest",
    );
  });
});

describe("hbone-outbound: missing entries", () => {
  it("blackholes tunnels from sources outside the table by default, as ztunnel refuses them", async () => {
    const { get } = await connect("10.9.9.9:1000", "10.0.1.20:80");
    expect(get(TCP_PROXY_CLUSTER)).toBe("BlackHoleCluster");
    expect(get(HBONE_AUTHORITY)).toBeNull();
    // passthrough destinations do not need a known source
    expect((await connect("10.9.9.9:1000", "8.8.8.8:53")).get(TCP_PROXY_CLUSTER)).toBe("PassthroughCluster");
  });

  it("follows unknownSource: tunnel (no baggage) or passthrough", async () => {
    const tunnel = await connect("10.9.9.9:1000", "10.0.1.20:80", { ...FIXTURE, unknownSource: "tunnel" });
    expect(tunnel.get(TCP_PROXY_CLUSTER)).toBe("hbone_originate");
    expect(tunnel.get(HBONE_AUTHORITY)).toBe("10.0.1.20:80");
    expect(tunnel.get(HBONE_BAGGAGE)).toBeNull();
    expect(tunnel.get(HBONE_SOURCE)).toBeNull();
    expect(tunnel.get(HBONE_FORWARDED)).toBe('for="10.9.9.9:1000"');
    const pass = await connect("10.9.9.9:1000", "10.0.1.20:80", { ...FIXTURE, unknownSource: "passthrough" });
    expect(pass.get(TCP_PROXY_CLUSTER)).toBe("PassthroughCluster");
    expect(pass.get(ORIGINAL_DST_ADDRESS)).toBe("10.0.1.20:80");
  });

  it("blackholes when Envoy gives no usable original destination", async () => {
    for (const dst of [null, "", "garbage", "10.0.1.20", "[fd00::1", "10.0.1.20:99999"]) {
      const { get, host } = await connect(SLEEP, dst);
      expect(get(TCP_PROXY_CLUSTER), String(dst)).toBe("BlackHoleCluster");
      expect(host.traps).toEqual([]);
    }
  });

  it("treats a missing source address as an unknown source", async () => {
    expect((await connect(null, "10.0.1.20:80")).get(TCP_PROXY_CLUSTER)).toBe("BlackHoleCluster");
  });

  it("with an empty table everything is passthrough", async () => {
    const { get } = await connect(SLEEP, "10.0.1.20:80", { workloads: [] });
    expect(get(TCP_PROXY_CLUSTER)).toBe("PassthroughCluster");
  });
});

describe("hbone-outbound: headers per configuration", () => {
  it("publishes only the headers that are enabled", async () => {
    const config = { ...FIXTURE, headers: { baggage: false, forwarded: false, xForwardedFor: false, traceparent: false, originalDstHost: false } };
    const { get } = await connect(SLEEP, "10.0.1.20:80", config);
    expect(get(HBONE_AUTHORITY)).toBe("10.0.1.20:80");
    for (const key of [HBONE_BAGGAGE, HBONE_FORWARDED, HBONE_XFF, HBONE_TRACEPARENT, HBONE_ORIGINAL_DST]) {
      expect(get(key), key).toBeNull();
    }
    // what istio-stats reads does not depend on what goes on the wire
    expect(get(HBONE_SOURCE)).toBe(ID("default", "sleep") + "\n" + SLEEP_BAGGAGE);
  });

  it("skips the per-connection SAN check when verifyPeerIdentity is false", async () => {
    const { get } = await connect(SLEEP, "10.0.1.20:80", { ...FIXTURE, verifyPeerIdentity: false });
    expect(get(UPSTREAM_SUBJECT_ALT_NAMES)).toBeNull();
    expect(get(UPSTREAM_PEER_PRINCIPAL)).toBe(ID("default", "httpbin"));
  });

  it("makes a fresh traceparent per connection", async () => {
    const { host, plugin } = await load();
    const values = new Set<string | null>();
    for (let i = 0; i < 50; i++) {
      const c = host.tcpConnection({ filters: [plugin], properties: { "source.address": SLEEP, "destination.address": "10.0.1.20:80" } });
      c.open();
      values.add(c.filterState.plain(HBONE_TRACEPARENT));
    }
    expect(values.size).toBe(50);
  });
});

describe("hbone-outbound: the shipped tcp_proxy tunneling_config reads what the filter publishes", () => {
  const wasmConfig = SNIPPET_FILTERS[0].typed_config.config.configuration.value as string;

  it("the snippet's plugin configuration loads", async () => {
    await expect(load(wasmConfig)).resolves.toBeTruthy();
  });

  it("renders the CONNECT request ztunnel would send", async () => {
    const { c } = await connect(SLEEP, "10.96.0.20:8000", wasmConfig);
    const request = c.tcpProxy!.connect!;
    expect(request.authority).toBe("10.0.0.20:80");
    expect(Object.fromEntries(request.headers)).toEqual({
      ":method": "CONNECT",
      ":authority": "10.0.0.20:80",
      baggage: "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=latest",
      forwarded: 'for="10.0.0.10:40000";host=httpbin.default.svc.cluster.local',
      traceparent: expect.stringMatching(TRACEPARENT),
      "x-envoy-original-dst-host": "10.0.0.20:80",
    });
    expect(request.headers).toHaveLength(6);
  });

  it("a plain-TCP route sends no CONNECT: tcp_proxy dials the destination directly", async () => {
    const { c, get } = await connect(SLEEP, "192.168.1.1:443", wasmConfig);
    expect(get("envoy.tcp_proxy.disable_tunneling")).toBe("true");
    expect(c.tcpProxy!.tunnelled).toBe(false);
    expect(c.tcpProxy!.connect).toBeNull();
    expect(c.tcpProxy!.cluster).toBe(get("envoy.tcp_proxy.cluster"));
  });
});

describe("hbone-outbound: configuration errors name the JSON path and fail on_configure", () => {
  const cases: Array<[string, unknown, string]> = [
    ["not JSON", "{", "$"],
    ["not an object", "[]", "$: expected object, got array"],
    ["unknown field", { ...FIXTURE, tunnel: true }, "$.tunnel: unknown field"],
    ["capture port", { ...FIXTURE, capturePort: 0 }, "$.capturePort: must be between 1 and 65535"],
    ["hbone port equals capture port", { ...FIXTURE, hbonePort: 15001 }, "$.hbonePort: must differ from capturePort"],
    ["cluster name", { ...FIXTURE, clusters: { hbone: "" } }, "$.clusters.hbone: must not be empty"],
    ["cluster name spaces", { ...FIXTURE, clusters: { plain: "a b" } }, "$.clusters.plain: must be a cluster name"],
    ["unknown cluster role", { ...FIXTURE, clusters: { tunnel: "x" } }, "$.clusters.tunnel: unknown field"],
    ["hboneClusters key", { ...FIXTURE, hboneClusters: { sleep: "x" } }, "$.hboneClusters.sleep: key must be a SPIFFE id"],
    ["header flag type", { ...FIXTURE, headers: { baggage: "yes" } }, "$.headers.baggage: expected boolean, got string"],
    ["unknown header", { ...FIXTURE, headers: { cookie: true } }, "$.headers.cookie: unknown field"],
    ["unknownSource", { ...FIXTURE, unknownSource: "allow" }, "$.unknownSource: must be one of blackhole, passthrough, tunnel"],
    ["verifyPeerIdentity", { ...FIXTURE, verifyPeerIdentity: 1 }, "$.verifyPeerIdentity: expected boolean, got number"],
    ["workload field", { ...FIXTURE, workloads: [{ ...FIXTURE.workloads[0], addresses: ["nope"] }] }, "$.workloads[0].addresses[0]: not an IP address"],
  ];
  for (const [name, config, message] of cases) {
    it(name, async () => {
      const host = new Host();
      await expect(host.loadPlugin({ module: WASM, configuration: typeof config === "string" ? config : JSON.stringify(config) })).rejects.toThrow();
      const errors = host.logs.filter((l) => l.level === "error").map((l) => l.message).join("\n");
      expect(errors).toContain("hbone-outbound: invalid plugin configuration: " + message);
    });
  }
});

describe("hbone-outbound: robustness and cost", () => {
  it("never traps on hostile addresses", async () => {
    const { host, plugin } = await load();
    const hostile = [
      "x".repeat(100000), "[" + ":".repeat(5000) + "]:1", "10.0.0.10:40000\u0000", "[fd00::10%eth0]:1", "[::ffff:10.0.1.20]:80",
      "10.0.1.20:-1", "10.0.1.20:0", "\u00ff\u00fe:1", "[]:80", "[:::]:80",
    ];
    for (const a of hostile) {
      for (const [src, dst] of [[a, "10.0.1.20:80"], [SLEEP, a]]) {
        const c = host.tcpConnection({ filters: [plugin], properties: { "source.address": src, "destination.address": dst } });
        c.open();
        c.closeDownstream("remote");
        expect(c.filterState.plain(TCP_PROXY_CLUSTER)).not.toBeNull();
      }
    }
    expect(host.traps).toEqual([]);
  });

  it("closes the connection when Envoy refuses set_envoy_filter_state (Envoy older than the minimum)", async () => {
    const { host, plugin } = await load();
    host.registerForeignFunction("set_envoy_filter_state", () => ({ status: 1 }));
    const c = host.tcpConnection({ filters: [plugin], properties: { "source.address": SLEEP, "destination.address": "10.0.1.20:80" } });
    c.open();
    expect(c.closed).not.toBeNull();
    expect(host.logs.some((l) => l.level === "error" && l.message.includes("needs Envoy >= 1.29"))).toBe(true);
  });

  it("host calls per connection stay small (measured, see README)", async () => {
    const hbone = await connect(SLEEP, "10.96.0.20:8000");
    const pass = await connect(SLEEP, "93.184.216.34:443");
    const hole = await connect(SLEEP, "10.0.1.20:15001");
    // get_property ×2, set_envoy_filter_state ×3 (incl. SAN), set_property ×11, current time ×1
    expect(hbone.calls).toBeLessThanOrEqual(17);
    // get_property ×2, set_envoy_filter_state ×3 (or ×2 without a dial address), set_property ×2 (route, source)
    expect(pass.calls).toBeLessThanOrEqual(7);
    expect(hole.calls).toBeLessThanOrEqual(6);
    showFigure("host calls per connection:", { hbone: hbone.breakdown, passthrough: pass.breakdown, blackhole: hole.breakdown });
  });
});

describe("hbone-outbound: property-based addresses", () => {
  it("every connection gets exactly one decision and tunnelled ones always carry an authority", async () => {
    const fc = await import("fast-check");
    const { host, plugin } = await load();
    const known = ["10.0.0.10", "10.0.1.20", "10.96.0.20", "10.96.0.21", "10.96.2.30", "10.96.2.40", "10.0.2.50", "10.0.2.99", "10.0.3.5", "10.96.3.5", "8.8.8.8"];
    const address = fc.oneof(
      fc.tuple(fc.constantFrom(...known), fc.integer({ min: 0, max: 65535 })).map(([ip, p]) => `${ip}:${p}`),
      fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 })).map(([ip, p]) => `[${ip}]:${p}`),
      fc.string({ maxLength: 80 }),
    );
    fc.assert(
      fc.property(address, address, (src, dst) => {
        const c = host.tcpConnection({ filters: [plugin], properties: { "source.address": src, "destination.address": dst } });
        c.open();
        const fs = c.filterState;
        const route = fs.plain(HBONE_ROUTE);
        expect(["hbone", "waypoint", "plain", "passthrough", "blackhole"]).toContain(route);
        const tunnelled = route === "hbone" || route === "waypoint";
        expect(fs.plain(DISABLE_TUNNELING)).toBe(tunnelled ? null : "true");
        if (tunnelled) {
          expect(fs.plain(HBONE_AUTHORITY)).toMatch(/^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\]):\d+$/);
          expect(fs.plain(ORIGINAL_DST_ADDRESS)).toMatch(/:15008$/);
        }
        if (route === "blackhole") expect(fs.plain(TCP_PROXY_CLUSTER)).toBe("BlackHoleCluster");
        c.closeDownstream("remote");
      }),
      { numRuns: 400 },
    );
    expect(host.traps).toEqual([]);
  });
});

// Issue 14, findings 5 (loops), 6 (open forward proxy: the filter's part) and 8 (connect-headers forwarding a
// client's forged headers). Each asserts the attack's request is now refused or stripped.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { Host } from "../../emulator/index.ts";

// ---- connect-headers: forward proxy ---------------------------------------------------------------------------

async function forward(config: unknown, headers: Array<[string, string]>, source = "10.77.1.10:40000") {
  const host = new Host({ logLevel: "warn" });
  const plugin = await host.loadPlugin({ module: "build/connect-headers.wasm", configuration: JSON.stringify(config) });
  const s = host.httpStream({ filters: [plugin], connection: { "source.address": source } });
  s.sendRequestHeaders(headers, false);
  expect(host.traps).toEqual([]);
  const out = s.upstreamRequest.headers ?? [];
  return { status: s.localResponse?.status ?? 0, details: s.localResponse?.details ?? "", forwarded: s.upstreamRequest.headers !== null,
    header: (name: string) => out.filter(([k]) => k === name).map(([, v]) => v) };
}

/** The shipped egress.yaml connect-headers configuration. */
function shippedEgressConfig(): unknown {
  const doc = parseYaml(readFileSync("envoy-configs/egress.yaml", "utf8"));
  const listener = doc.static_resources.listeners.find((l: { name: string }) => l.name === "egress_connect");
  const hcm = listener.filter_chains[0].filters[0].typed_config;
  const wasm = hcm.http_filters.find((f: { typed_config?: { config?: { root_id?: string } } }) => f.typed_config?.config?.root_id === "connect-headers");
  return JSON.parse(wasm.typed_config.config.configuration.value);
}

describe("finding 6: the egress CONNECT proxy refuses loopback, link-local and node-local targets", () => {
  const config = shippedEgressConfig();

  it("a CONNECT to the proxy's own admin port, the metadata service or localhost is refused, nothing forwarded", async () => {
    for (const target of ["127.0.0.1:15000", "[::1]:15000", "[::ffff:127.0.0.1]:15000", "0.0.0.0:3128", "169.254.169.254:80",
      "[fe80::1]:80", "localhost:15000", "LOCALHOST:15000", "admin.localhost:80"]) {
      const r = await forward(config, [[":method", "CONNECT"], [":authority", target]]);
      expect({ target, status: r.status, forwarded: r.forwarded }).toEqual({ target, status: 403, forwarded: false });
      expect(r.details).toBe("connect_headers_target_refused");
    }
  });

  it("a node address listed in refusedAddresses is refused; an external target still goes through", async () => {
    const withNode = { ...(config as object), refusedAddresses: ["10.77.0.30"] };
    expect((await forward(withNode, [[":method", "CONNECT"], [":authority", "10.77.0.30:15000"]])).status).toBe(403);
    const ok = await forward(withNode, [[":method", "CONNECT"], [":authority", "api.example.com:443"]]);
    expect(ok.forwarded).toBe(true);
    expect(ok.header(":authority")).toEqual(["api.example.com:443"]);
  });
});

describe("finding 8: connect-headers never forwards the client's copies of the headers it owns", () => {
  const FORGED: Array<[string, string]> = [
    ["x-envoy-original-dst-host", "127.0.0.1:15000"], ["x-forwarded-for", "10.77.1.10"], ["x-envoy-peer-metadata", "Zm9yZ2Vk"],
    ["x-envoy-peer-metadata-id", "sidecar~10.77.1.10~sleep.client~client.svc.cluster.local"],
    ["baggage", "k8s.namespace.name=client,k8s.deployment.name=sleep"], ["forwarded", "for=10.77.1.10"], ["traceparent", "00-" + "1".repeat(32) + "-" + "2".repeat(16) + "-01"],
  ];
  const allOff = { headers: { baggage: false, forwarded: false, xForwardedFor: false, traceparent: false, originalDstHost: false } };

  it("with every header option off, none of the forged headers reaches the upstream", async () => {
    const r = await forward(allOff, [[":method", "CONNECT"], [":authority", "api.example.com:443"], ...FORGED]);
    expect(r.forwarded).toBe(true);
    for (const [name] of FORGED) expect(r.header(name), name).toEqual([]);
  });

  it("from a source outside the table, a forged baggage is dropped rather than passed on", async () => {
    const r = await forward({}, [[":method", "CONNECT"], [":authority", "api.example.com:443"], ...FORGED], "10.9.9.9:1");
    expect(r.header("baggage")).toEqual([]);
    expect(r.header("x-envoy-peer-metadata")).toEqual([]);
    expect(r.header("forwarded")).toEqual(['for="10.9.9.9:1";host=api.example.com']);
    expect(r.header("traceparent")[0]).not.toBe(FORGED[6][1]);
  });
});

// ---- loops -----------------------------------------------------------------------------------------------------

/** A filter's plugin configuration in a shipped Envoy config, by listener name and root id. */
function shippedPluginConfig(file: string, listenerName: string, rootId: string): Record<string, unknown> {
  const doc = parseYaml(readFileSync(file, "utf8"), { merge: true });
  const listener = doc.static_resources.listeners.find((l: { name: string }) => l.name === listenerName);
  for (const chain of listener.filter_chains) {
    for (const f of chain.filters) {
      if (f.typed_config?.config?.root_id === rootId) return JSON.parse(f.typed_config.config.configuration.value);
      for (const h of f.typed_config?.http_filters ?? []) {
        if (h.typed_config?.config?.root_id === rootId) return JSON.parse(h.typed_config.config.configuration.value);
      }
    }
  }
  throw new Error(`${rootId} not found on ${listenerName}`);
}

/** Every port a listener of the file binds. */
function listenerPorts(file: string): number[] {
  const doc = parseYaml(readFileSync(file, "utf8"), { merge: true });
  return doc.static_resources.listeners.filter((l: { address?: unknown }) => l.address)
    .map((l: { address: { socket_address: { port_value: number } } }) => l.address.socket_address.port_value);
}

describe("finding 5: a CONNECT or passthrough to a listener of the node itself is refused", () => {
  const inbound = shippedPluginConfig("envoy-configs/ztunnel.yaml", "ztunnel_hbone", "hbone-inbound");
  const outbound = shippedPluginConfig("envoy-configs/ztunnel.yaml", "ztunnel_outbound", "hbone-outbound");

  it("ztunnel.yaml: every port the node listens on is an illegal CONNECT target for hbone-inbound", async () => {
    const ports = listenerPorts("envoy-configs/ztunnel.yaml");
    expect(ports).toEqual(expect.arrayContaining([8000, 15001, 15006, 15008, 15020]));
    for (const port of ports) {
      const host = new Host({ logLevel: "warn" });
      const plugin = await host.loadPlugin({ module: "build/hbone-inbound.wasm", configuration: JSON.stringify(inbound) });
      const s = host.httpStream({ filters: [plugin], connection: { "source.address": "10.77.1.10:40000", "destination.address": "10.77.0.20:15008" } });
      s.sendRequestHeaders([[":method", "CONNECT"], [":authority", `10.77.0.20:${port}`]], false);
      expect({ port, status: s.localResponse?.status }).toEqual({ port, status: 503 });
      expect(s.upstreamRequest.headers).toBeNull();
    }
  });

  async function route(config: unknown, source: string, destination: string) {
    const host = new Host({ logLevel: "warn" });
    const plugin = await host.loadPlugin({ module: "build/hbone-outbound.wasm", configuration: JSON.stringify(config) });
    const c = host.tcpConnection({ filters: [plugin], properties: { "source.address": source, "destination.address": destination } });
    c.open();
    expect(host.traps).toEqual([]);
    return { route: c.filterState.plain("wasm.hbone_route"), cluster: c.filterState.plain("envoy.tcp_proxy.cluster") };
  }

  it("ztunnel.yaml: a passthrough to the node's own listeners is blackholed, also from an unknown source", async () => {
    for (const dst of ["10.77.0.10:8000", "10.77.0.10:15020", "127.0.0.1:15000", "10.77.0.10:15006", "[::ffff:10.77.0.10]:8000"]) {
      expect({ dst, ...(await route(outbound, "10.77.1.10:40000", dst)) }).toEqual({ dst, route: "blackhole", cluster: "BlackHoleCluster" });
    }
    expect((await route(outbound, "10.77.9.9:1", "10.77.0.10:8000")).route).toBe("blackhole");
  });

  it("a passthrough elsewhere is still a passthrough", async () => {
    expect((await route(outbound, "10.77.1.10:40000", "93.184.216.34:8000")).route).toBe("passthrough");
    expect((await route(outbound, "10.77.1.10:40000", "10.77.0.10:9999")).route).toBe("passthrough");
  });
});

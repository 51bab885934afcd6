import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { CONNECT_AUTHORITY, UPSTREAM_PEER, UPSTREAM_SERVICE } from "../../lib/filter-state-keys.ts";
import { showFigure } from "../../test/figures.ts";

const WASM = "build/connect-headers.wasm";
const FIXTURE = JSON.parse(readFileSync(new URL("./fixtures/config.json", import.meta.url), "utf8"));
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/;
const SLEEP_BAGGAGE = "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=v1";

interface Options {
  config?: unknown;
  sni?: string | null;
  source?: string | null;
}

async function send(headers: Array<[string, string]>, o: Options = {}) {
  const host = new Host({ logLevel: "debug", countHostCalls: true });
  const config = o.config ?? FIXTURE;
  const plugin = await host.loadPlugin({ module: WASM, configuration: typeof config === "string" ? config : JSON.stringify(config) });
  const connection: Record<string, string> = {};
  const source = o.source === undefined ? "10.0.0.10:40000" : o.source;
  if (source !== null) connection["source.address"] = source;
  if (o.sni !== undefined && o.sni !== null) connection["connection.requested_server_name"] = o.sni;
  const s = host.httpStream({ filters: [plugin], connection });
  const counter = host.hostCalls!;
  counter.reset();
  s.sendRequestHeaders(headers, false);
  const calls = counter.total(["env.proxy_log", "env.proxy_get_log_level"]);
  const out = s.upstreamRequest.headers ?? [];
  const header = (name: string) => out.filter(([k]) => k === name).map(([, v]) => v);
  return { host, s, calls, breakdown: counter.snapshot(), header, get: (k: string) => s.filterState.plain(k) };
}

const CONNECT = (authority: string, ...extra: Array<[string, string]>): Array<[string, string]> => [
  [":method", "CONNECT"], [":authority", authority], ...extra,
];

describe("connect-headers: CONNECT target", () => {
  it("takes the target host from the TLS SNI (egress through a forward proxy)", async () => {
    const { header, get, s, host } = await send(CONNECT("10.0.9.9:443"), { sni: "www.example.com" });
    expect(s.localResponse).toBeNull();
    expect(header(":authority")).toEqual(["www.example.com:443"]);
    expect(get(CONNECT_AUTHORITY)).toBe("www.example.com:443");
    expect(get(UPSTREAM_SERVICE)).toBe("www.example.com");
    expect(host.traps).toEqual([]);
  });

  it("uses the client's port for SNI targets when no port is configured", async () => {
    const config = { ...FIXTURE, target: { from: "sni" } };
    expect((await send(CONNECT("1.2.3.4:8443"), { config, sni: "API.example.com" })).header(":authority")).toEqual(["api.example.com:8443"]);
    expect((await send(CONNECT("1.2.3.4"), { config, sni: "api.example.com" })).header(":authority")).toEqual(["api.example.com:443"]);
  });

  it("400 when the SNI is missing or not a DNS name", async () => {
    for (const sni of [null, "", "bad host", "1.2.3", "a".repeat(300)]) {
      const { s, header } = await send(CONNECT("10.0.9.9:443"), { sni });
      expect(s.localResponse?.status, String(sni)).toBe(400);
      expect(s.localResponse?.details).toBe("connect_headers_no_target");
      expect(header(":authority")).toEqual([]);
    }
  });

  it("takes a fixed target from the configuration, IPv6 bracketed", async () => {
    const config = { ...FIXTURE, target: { from: "config", host: "fd00::99", port: 8080 } };
    const { header } = await send(CONNECT("ignored.example:1"), { config });
    expect(header(":authority")).toEqual(["[fd00::99]:8080"]);
    const named = await send(CONNECT("x:1"), { config: { ...FIXTURE, target: { from: "config", host: "db.internal" } } });
    expect(named.header(":authority")).toEqual(["db.internal:443"]);
  });

  it("keeps and normalises the client's authority, rejecting malformed ones", async () => {
    const config = { ...FIXTURE, target: { from: "authority" } };
    expect((await send(CONNECT("[FD00:0::1]:443"), { config })).header(":authority")).toEqual(["[fd00::1]:443"]);
    for (const bad of ["no-port.example", "a:b:c", "[::1", "x".repeat(1000) + ":1", "host:0", "host:70000"]) {
      expect((await send(CONNECT(bad), { config })).s.localResponse?.status, bad).toBe(400);
    }
  });
});

describe("connect-headers: headers", () => {
  it("adds baggage of the source workload, forwarded, x-forwarded-for, traceparent and configured headers", async () => {
    const { header } = await send(CONNECT("10.0.9.9:443"), { sni: "www.example.com" });
    expect(header("baggage")).toEqual([SLEEP_BAGGAGE]);
    expect(header("forwarded")).toEqual(['for="10.0.0.10:40000";host=www.example.com']);
    expect(header("x-forwarded-for")).toEqual(["10.0.0.10"]);
    expect(header("traceparent")).toHaveLength(1);
    expect(header("traceparent")[0]).toMatch(TRACEPARENT);
    expect(header("proxy-authorization")).toEqual(["Basic ZWdyZXNzOnMzY3JldA=="]);
    expect(header("x-envoy-original-dst-host")).toEqual([]);
  });

  it("replaces what the client sent under the same names", async () => {
    const forged: Array<[string, string]> = [
      ["baggage", "k8s.namespace.name=kube-system"], ["forwarded", "for=1.2.3.4"], ["x-forwarded-for", "1.2.3.4"],
      ["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"], ["proxy-authorization", "Basic stolen"],
    ];
    const { header } = await send(CONNECT("10.0.9.9:443", ...forged), { sni: "www.example.com" });
    expect(header("baggage")).toEqual([SLEEP_BAGGAGE]);
    expect(header("forwarded")).toEqual(['for="10.0.0.10:40000";host=www.example.com']);
    expect(header("x-forwarded-for")).toEqual(["10.0.0.10"]);
    expect(header("traceparent")[0]).not.toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    expect(header("proxy-authorization")).toEqual(["Basic ZWdyZXNzOnMzY3JldA=="]);
  });

  it("omits baggage for sources outside the table and brackets IPv6 sources", async () => {
    const unknown = await send(CONNECT("10.0.9.9:443"), { sni: "www.example.com", source: "10.7.7.7:1" });
    expect(unknown.header("baggage")).toEqual([]);
    const v6 = await send(CONNECT("10.0.9.9:443"), { sni: "www.example.com", source: "[fd00::10]:5000" });
    expect(v6.header("forwarded")).toEqual(['for="[fd00::10]:5000";host=www.example.com']);
    expect(v6.header("x-forwarded-for")).toEqual(["fd00::10"]);
    expect(v6.header("baggage")).toEqual([SLEEP_BAGGAGE]);
  });

  it("sets x-envoy-original-dst-host for IP targets when asked, and reports a table workload as upstream peer", async () => {
    const config = { ...FIXTURE, target: { from: "authority" }, headers: { ...FIXTURE.headers, originalDstHost: true } };
    const { header, get } = await send(CONNECT("10.0.1.20:80"), { config });
    expect(header("x-envoy-original-dst-host")).toEqual(["10.0.1.20:80"]);
    expect(get(UPSTREAM_PEER)).toContain("k8s.deployment.name=httpbin");
    const named = await send(CONNECT("www.example.com:443"), { config });
    expect(named.header("x-envoy-original-dst-host")).toEqual([]);
  });

  it("sends only the enabled headers", async () => {
    const config = { ...FIXTURE, headers: { baggage: false, forwarded: false, xForwardedFor: false, traceparent: false }, add: {} };
    const { header } = await send(CONNECT("10.0.9.9:443", ["baggage", "k8s.namespace.name=app"]), { config, sni: "www.example.com" });
    for (const name of ["forwarded", "x-forwarded-for", "traceparent", "proxy-authorization"]) expect(header(name), name).toEqual([]);
    expect(header("baggage")).toEqual([]); // disabled: the client's copy is removed, not passed through
  });

  it("leaves non-CONNECT requests alone unless onlyConnect is false", async () => {
    const get: Array<[string, string]> = [[":method", "GET"], [":authority", "a.example"], [":path", "/"], [":scheme", "http"]];
    const untouched = await send(get, { sni: "www.example.com" });
    expect(untouched.header(":authority")).toEqual(["a.example"]);
    expect(untouched.header("baggage")).toEqual([]);
    expect(untouched.calls).toBeLessThanOrEqual(1);
    const all = await send(get, { sni: "www.example.com", config: { ...FIXTURE, onlyConnect: false } });
    expect(all.header(":authority")).toEqual(["www.example.com:443"]);
  });
});

describe("connect-headers: configuration", () => {
  const cases: Array<[string, unknown, string]> = [
    ["not JSON", "nope", "$"],
    ["unknown field", { ...FIXTURE, proxy: "x" }, "$.proxy: unknown field"],
    ["target.from", { ...FIXTURE, target: { from: "dns" } }, "$.target.from: must be one of authority, sni, config"],
    ["config needs host", { ...FIXTURE, target: { from: "config" } }, "$.target.host: required field is missing"],
    ["config host", { ...FIXTURE, target: { from: "config", host: "bad host" } }, "$.target.host: must be a DNS name or an IP address"],
    ["host without config", { ...FIXTURE, target: { from: "sni", host: "x" } }, "$.target.host: only allowed when \"from\" is \"config\""],
    ["port for authority", { ...FIXTURE, target: { from: "authority", port: 1 } }, "$.target.port: only allowed when"],
    ["port range", { ...FIXTURE, target: { from: "sni", port: 0 } }, "$.target.port: must be between 1 and 65535"],
    ["header flag", { ...FIXTURE, headers: { traceparent: "on" } }, "$.headers.traceparent: expected boolean, got string"],
    ["added name", { ...FIXTURE, add: { "Bad Name": "x" } }, "$.add[\"Bad Name\"]: header name must be a lower-case token"],
    ["added reserved", { ...FIXTURE, add: { baggage: "x" } }, "$.add.baggage: set by this filter or Envoy"],
    ["added value", { ...FIXTURE, add: { "x-a": "line\nbreak" } }, "$.add.x-a: header value has control characters"],
    ["added type", { ...FIXTURE, add: { "x-a": 1 } }, "$.add.x-a: expected string, got number"],
    ["onlyConnect", { ...FIXTURE, onlyConnect: "yes" }, "$.onlyConnect: expected boolean, got string"],
    ["workloads", { ...FIXTURE, workloads: [{ ...FIXTURE.workloads[0], identity: "sleep" }] }, "$.workloads[0].identity: not a SPIFFE id"],
  ];
  for (const [name, config, message] of cases) {
    it(name, async () => {
      const host = new Host();
      await expect(host.loadPlugin({ module: WASM, configuration: typeof config === "string" ? config : JSON.stringify(config) })).rejects.toThrow();
      expect(host.logs.filter((l) => l.level === "error").map((l) => l.message).join("\n")).toContain(
        "connect-headers: invalid plugin configuration: " + message,
      );
    });
  }

  it("an empty object is a valid configuration (keep the authority, default headers)", async () => {
    const { header } = await send(CONNECT("www.example.com:443"), { config: "{}" });
    expect(header(":authority")).toEqual(["www.example.com:443"]);
    expect(header("forwarded")).toEqual(['for="10.0.0.10:40000";host=www.example.com']);
  });
});

describe("connect-headers: cost", () => {
  it("host calls per CONNECT stay small (measured, see README)", async () => {
    const { calls, breakdown } = await send(CONNECT("10.0.9.9:443"), { sni: "www.example.com" });
    expect(calls).toBeLessThanOrEqual(8);
    showFigure("host calls per CONNECT:", breakdown);
  });
});

describe("connect-headers: the shipped envoy.yaml snippet", () => {
  it("its plugin configuration loads and rewrites a forwarded CONNECT", async () => {
    const { parse } = await import("yaml");
    const snippet = parse(readFileSync(new URL("./envoy.yaml", import.meta.url), "utf8"));
    const hcm = snippet.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    const wasm = hcm.http_filters.find((f: { name: string }) => f.name === "envoy.filters.http.wasm");
    const config = wasm.typed_config.config.configuration.value as string;
    const { header } = await send(CONNECT("www.example.com:443", ["baggage", "forged=1"]), { config });
    expect(header(":authority")).toEqual(["www.example.com:443"]);
    expect(header("baggage")).toEqual(["k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=latest"]);
    expect(header("forwarded")).toEqual(['for="10.0.0.10:40000";host=www.example.com']);
    // the route forwards the CONNECT (no connect_config) rather than terminating it
    expect(hcm.route_config.virtual_hosts[0].routes[0].route.upgrade_configs).toBeUndefined();
  });
});

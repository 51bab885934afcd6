import { describe, expect, it } from "vitest";
import { FilterState, LifeSpan, TcpProxyConfigError, formatTemplate, tcpProxyDecision } from "../../emulator/index.ts";
import type { TcpProxyConfig } from "../../emulator/index.ts";

const TUNNEL: TcpProxyConfig = {
  stat_prefix: "out",
  cluster: "BlackHoleCluster",
  tunneling_config: {
    hostname: "%FILTER_STATE(wasm.authority:PLAIN)%",
    headers_to_add: [
      { header: { key: "baggage", value: "%FILTER_STATE(wasm.baggage:PLAIN)%" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
      { header: { key: "X-Client", value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%" } },
      { header: { key: "x-dst", value: "%DOWNSTREAM_LOCAL_ADDRESS%" } },
    ],
  },
};

function connection(state: Record<string, string> = {}, source = "10.0.0.1:4000", destination = "10.0.0.2:80") {
  const filterState = new FilterState(LifeSpan.Connection);
  for (const [k, v] of Object.entries(state)) filterState.set(k, v);
  return { filterState, sourceAddress: source, destinationAddress: destination };
}

describe("tcp_proxy model: cluster", () => {
  it("takes envoy.tcp_proxy.cluster from filter state over the configured cluster", () => {
    const d = tcpProxyDecision(TUNNEL, connection({ "envoy.tcp_proxy.cluster": "hbone" }));
    expect(d.cluster).toBe("hbone");
    expect(d.clusterFromFilterState).toBe(true);
  });

  it("falls back to the configured cluster", () => {
    const d = tcpProxyDecision(TUNNEL, connection());
    expect(d.cluster).toBe("BlackHoleCluster");
    expect(d.clusterFromFilterState).toBe(false);
  });

  it("needs a route when filter state names none", () => {
    expect(() => tcpProxyDecision({ stat_prefix: "x" }, connection())).toThrow(TcpProxyConfigError);
    expect(tcpProxyDecision({ stat_prefix: "x" }, connection({ "envoy.tcp_proxy.cluster": "c" })).cluster).toBe("c");
  });
});

describe("tcp_proxy model: tunnelling and the CONNECT request", () => {
  it("builds CONNECT with the formatted :authority and headers_to_add, lower-cased, in order", () => {
    const d = tcpProxyDecision(TUNNEL, connection({ "wasm.authority": "10.0.1.20:80", "wasm.baggage": "k=v" }));
    expect(d.tunnelled).toBe(true);
    expect(d.connect!.headers).toEqual([
      [":method", "CONNECT"],
      [":authority", "10.0.1.20:80"],
      ["baggage", "k=v"],
      ["x-client", "10.0.0.1"],
      ["x-dst", "10.0.0.2:80"],
    ]);
    expect(d.connect!.authority).toBe("10.0.1.20:80");
    expect(d.connect!.header("X-Client")).toBe("10.0.0.1");
  });

  it("skips a header whose value formats empty, prints '-' for a missing hostname", () => {
    const d = tcpProxyDecision(TUNNEL, connection());
    expect(d.connect!.authority).toBe("-");
    expect(d.connect!.header("baggage")).toBeNull();
    expect(d.connect!.headers.map(([k]) => k)).toEqual([":method", ":authority", "x-client", "x-dst"]);
  });

  it("keeps an empty header with keep_empty_value", () => {
    const config: TcpProxyConfig = { cluster: "c", tunneling_config: { hostname: "h", headers_to_add: [{ header: { key: "e", value: "%FILTER_STATE(nope:PLAIN)%" }, keep_empty_value: true }] } };
    expect(tcpProxyDecision(config, connection()).connect!.headers).toContainEqual(["e", ""]);
  });

  it("applies append actions over headers already present", () => {
    const config: TcpProxyConfig = {
      cluster: "c",
      tunneling_config: {
        hostname: "h",
        headers_to_add: [
          { header: { key: "a", value: "1" } },
          { header: { key: "a", value: "2" }, append_action: "APPEND_IF_EXISTS_OR_ADD" },
          { header: { key: "b", value: "1" }, append_action: "OVERWRITE_IF_EXISTS" },
          { header: { key: ":authority", value: "other" }, append_action: "ADD_IF_ABSENT" },
          { header: { key: "c", value: "1" } },
          { header: { key: "c", value: "2" }, append: false },
          { header: { key: "d", value: "1" }, append: true },
          { header: { key: "d", value: "2" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
        ],
      },
    };
    expect(tcpProxyDecision(config, connection()).connect!.headers).toEqual([
      [":method", "CONNECT"], [":authority", "h"], ["a", "1"], ["a", "2"], ["c", "2"], ["d", "2"],
    ]);
  });

  it("use_post sends POST with :path and :scheme", () => {
    const config: TcpProxyConfig = { cluster: "c", tunneling_config: { hostname: "h:1", use_post: true, post_path: "/tunnel" } };
    expect(tcpProxyDecision(config, connection()).connect!.headers).toEqual([[":method", "POST"], [":authority", "h:1"], [":path", "/tunnel"], [":scheme", "http"]]);
  });

  it("envoy.tcp_proxy.disable_tunneling=true turns the tunnel off for the connection only", () => {
    const off = tcpProxyDecision(TUNNEL, connection({ "envoy.tcp_proxy.disable_tunneling": "true" }));
    expect(off.tunnelled).toBe(false);
    expect(off.connect).toBeNull();
    expect(tcpProxyDecision(TUNNEL, connection({ "envoy.tcp_proxy.disable_tunneling": "false" })).tunnelled).toBe(true);
    expect(tcpProxyDecision({ cluster: "c" }, connection()).tunnelled).toBe(false);
  });

  it("rejects operators the model cannot evaluate instead of guessing", () => {
    expect(() => formatTemplate("%UPSTREAM_HOST%", connection(), "")).toThrow(/unsupported substitution %UPSTREAM_HOST%/);
    expect(() => formatTemplate("%FILTER_STATE(k:TYPED)%", connection(), "")).toThrow(TcpProxyConfigError);
  });

  it("formats address operators, IPv6 without brackets when the port is dropped", () => {
    const c = connection({}, "[fd00::1]:4000", "[fd00::2]:8080");
    expect(formatTemplate("%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%|%DOWNSTREAM_LOCAL_PORT%|%DOWNSTREAM_REMOTE_PORT%", c, "")).toBe("fd00::1|8080|4000");
  });
});

describe("tcp_proxy model: clusters", () => {
  const clusters = [
    { name: "BlackHoleCluster", type: "STATIC", endpoints: [] },
    { name: "hbone", type: "ORIGINAL_DST", endpoints: [] },
    { name: "static", type: "STATIC", endpoints: ["10.0.0.9:80"] },
  ];
  const decide = (state: Record<string, string>, destination: string | null = "10.0.0.2:80") =>
    tcpProxyDecision(TUNNEL, { ...connection(state, "10.0.0.1:4000", destination as string), destinationAddress: destination, clusters });

  it("a cluster that does not exist: NoClusterFound, no CONNECT", () => {
    const d = decide({ "envoy.tcp_proxy.cluster": "nope", "wasm.authority": "a:1" });
    expect(d.upstreamFailure).toBe("NoClusterFound");
    expect(d.connect).toBeNull();
  });

  it("a STATIC cluster without endpoints: NoHealthyUpstream", () => {
    expect(decide({}).upstreamFailure).toBe("NoHealthyUpstream");
    expect(decide({ "envoy.tcp_proxy.cluster": "static" }).upstreamFailure).toBeNull();
  });

  it("an ORIGINAL_DST cluster needs an original destination", () => {
    expect(decide({ "envoy.tcp_proxy.cluster": "hbone" }).upstreamFailure).toBeNull();
    expect(decide({ "envoy.tcp_proxy.cluster": "hbone" }, null).upstreamFailure).toBe("NoHealthyUpstream");
    expect(decide({ "envoy.tcp_proxy.cluster": "hbone", "envoy.network.transport_socket.original_dst_address": "10.0.1.1:15008" }, null).upstreamFailure).toBeNull();
  });

  it("without clusters the model assumes the cluster exists", () => {
    expect(tcpProxyDecision(TUNNEL, connection()).upstreamFailure).toBeNull();
  });
});

describe("tcp_proxy model: ORIGINAL_DST target and SAN pinning", () => {
  it("dials envoy.network.transport_socket.original_dst_address first, else the downstream local address", () => {
    expect(tcpProxyDecision(TUNNEL, connection({ "envoy.network.transport_socket.original_dst_address": "10.0.1.20:15008" })).originalDestination).toBe("10.0.1.20:15008");
    expect(tcpProxyDecision(TUNNEL, connection()).originalDestination).toBe("10.0.0.2:80");
  });

  it("reads the pinned SANs as a comma-separated list", () => {
    const d = tcpProxyDecision(TUNNEL, connection({ "envoy.network.upstream_subject_alt_names": "spiffe://a,spiffe://b" }));
    expect(d.upstreamSubjectAltNames).toEqual(["spiffe://a", "spiffe://b"]);
    expect(tcpProxyDecision(TUNNEL, connection()).upstreamSubjectAltNames).toBeNull();
  });
});

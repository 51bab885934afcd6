import { describe, it, expect } from "vitest";
import { deflateSync } from "node:zlib";
import { Host, encodeSetEnvoyFilterStateArguments } from "../../emulator/index.ts";
import { wat, messages } from "./wat.ts";

describe("metrics (docs/envoy-facts.md: wasmcustom, metric-ops)", () => {
  it("numbers ids per type, applies Envoy's operation rules and prefixes wasmcustom.", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("metrics") });
    expect(messages(host.logs)).toEqual([
      "counter_id=4", "gauge_id=5", "histogram_id=6", "counter_again_id=8", "bad_type=2",
      "inc0=2", "inc_neg=2", "inc1=0", "record_counter=0", "get_counter=0", "counter_value=6",
      "inc_gauge=0", "dec_gauge=0", "get_gauge=0", "gauge_value=7",
      "inc_histogram=2", "record_histogram=0", "get_histogram=2", "unknown=1", "unknown_get=1",
    ]);
    expect(host.metric("wasmcustom.reqs")).toBe(6);
    expect(host.metric("wasmcustom.g")).toBe(7);
    expect(host.histogram("wasmcustom.h")?.sampleCount).toBe(1);
    host.httpStream({ filters: [p] }).sendRequestHeaders([[":path", "/"]], true);
    expect(host.metric("wasmcustom.reqs")).toBe(7);
    const prom = host.prometheus();
    expect(prom).toContain("# TYPE reqs counter\nreqs{} 7\n");
    expect(prom).not.toContain("envoy_reqs");
    expect(prom).not.toContain("wasmcustom");
  });

  it("extracts Istio-style tags from the bootstrap stats_tags", async () => {
    const host = new Host({ statsTags: [
      { tag_name: "reporter", regex: "(reporter=\\.=(.*?);\\.;)" },
      { tag_name: "response_code", regex: "(response_code=\\.=(.*?);\\.;)" },
    ] });
    const p = await host.loadPlugin({ module: await wat("metrics"),
      configuration: "reporter=.=destination;.;response_code=.=200;.;istio_requests_total" });
    host.httpStream({ filters: [p] }).sendRequestHeaders([[":path", "/"]], true);
    expect(host.metric("wasmcustom.reporter=.=destination;.;response_code=.=200;.;istio_requests_total")).toBe(1);
    expect(host.prometheus()).toContain(
      '# TYPE istio_requests_total counter\nistio_requests_total{reporter="destination",response_code="200"} 1\n');
  });
});

async function callForeign(name: string, args: Uint8Array | string, where: "http" | "tcp" | "root", host = new Host()) {
  const p = await host.loadPlugin({ module: await wat("foreign"), vmConfig: name, configuration: args });
  const before = host.logs.length;
  let fs = null;
  if (where === "http") { const s = host.httpStream({ filters: [p] }); s.sendRequestHeaders([[":path", "/"]], true); fs = s.filterState; }
  else if (where === "tcp") { const c = host.tcpConnection({ filters: [p] }); c.open(); fs = c.filterState; }
  else host.advanceTime(1000);
  return { out: messages(host.logs.slice(before)), fs, host };
}

describe("foreign functions (docs/envoy-facts.md: set-envoy-filter-state)", () => {
  it("set_envoy_filter_state stores registered keys (value validated like Envoy's factory)", async () => {
    const args = encodeSetEnvoyFilterStateArguments("envoy.network.transport_socket.original_dst_address", "10.9.8.7:15008");
    const { out, fs } = await callForeign("set_envoy_filter_state", args, "tcp");
    expect(out).toEqual(["connection=0"]);
    expect(fs!.plain("envoy.network.transport_socket.original_dst_address")).toBe("10.9.8.7:15008");
    expect(fs!.get("envoy.network.transport_socket.original_dst_address")?.fields).toEqual({ ip: "10.9.8.7", port: 15008n });
  });

  it("set_envoy_filter_state: unknown key → NotFound, invalid value → BadArgument, root context → NotFound", async () => {
    expect((await callForeign("set_envoy_filter_state", encodeSetEnvoyFilterStateArguments("my.key", "x"), "http")).out)
      .toEqual(["stream=1"]);
    expect((await callForeign("set_envoy_filter_state",
      encodeSetEnvoyFilterStateArguments("envoy.network.transport_socket.original_dst_address", "not-an-address"), "http")).out)
      .toEqual(["stream=2"]);
    expect((await callForeign("set_envoy_filter_state", encodeSetEnvoyFilterStateArguments("envoy.tcp_proxy.cluster", "c"), "root")).out)
      .toEqual(["root=1"]);
    expect((await callForeign("set_envoy_filter_state", new Uint8Array([0x0a, 0x09, 0x01]), "http")).out).toEqual(["stream=2"]);
  });

  it("set_envoy_filter_state accepts tcp_proxy keys with Envoy's value rules", async () => {
    const r1 = await callForeign("set_envoy_filter_state", encodeSetEnvoyFilterStateArguments("envoy.tcp_proxy.cluster", "outbound|80||svc"), "tcp");
    expect(r1.fs!.plain("envoy.tcp_proxy.cluster")).toBe("outbound|80||svc");
    const r2 = await callForeign("set_envoy_filter_state", encodeSetEnvoyFilterStateArguments("envoy.tcp_proxy.disable_tunneling", "yes"), "tcp");
    expect(r2.out).toEqual(["connection=0"]);
    expect(r2.fs!.plain("envoy.tcp_proxy.disable_tunneling")).toBe("false"); // BoolAccessor(data == "true")
    const r3 = await callForeign("set_envoy_filter_state", encodeSetEnvoyFilterStateArguments("envoy.upstream.dynamic_port", "80x"), "tcp");
    expect(r3.out).toEqual(["connection=2"]);
  });

  it("compress / uncompress use zlib streams; bad input → SerializationFailure", async () => {
    const r = await callForeign("uncompress", new Uint8Array(deflateSync(Buffer.from("hello zlib"))), "http");
    expect(r.out).toEqual(["stream=0", "hello zlib"]);
    expect((await callForeign("uncompress", "garbage", "http")).out).toEqual(["stream=3"]);
    const c = await callForeign("compress", "aaaaaaaaaaaaaaaa", "http");
    expect(c.out[0]).toBe("stream=0");
  });

  it("clear_route_cache counts on the stream; unknown names are NotFound; custom functions can be registered", async () => {
    const r = await callForeign("clear_route_cache", "", "http");
    expect(r.out).toEqual(["stream=0"]);
    expect((await callForeign("no_such_function", "", "http")).out).toEqual(["stream=1"]);
    const host = new Host();
    host.registerForeignFunction("echo_upper", (args) => Buffer.from(args).toString().toUpperCase());
    expect((await callForeign("echo_upper", "abc", "http", host)).out).toEqual(["stream=0", "ABC"]);
  });
});

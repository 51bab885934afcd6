// sdk/filter-state.ts: the SetEnvoyFilterStateArguments protobuf as Envoy (and the emulator) decode it.
import { beforeAll, describe, expect, it } from "vitest";
import { Host, WasmResult } from "../../emulator/index.ts";
import { GET, PROBE, buildModule, value } from "./helpers.ts";

let probe: string;
beforeAll(async () => {
  probe = await buildModule(PROBE);
});

describe("set_envoy_filter_state", () => {
  it("sets registered keys with path, value and span decoded by the host", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/x"), true);
    const h = s.upstreamRequest.headers;
    expect(value(h, "x-r-fs")).toBe(String(WasmResult.Ok));
    expect(s.filterState.plain("envoy.network.transport_socket.original_dst_address")).toBe("10.1.2.3:8080");
    expect(value(h, "x-r-fs-cluster")).toBe(String(WasmResult.Ok));
    expect(s.filterState.plain("envoy.upstream.dynamic_host")).toBe("example.com");
  });

  it("reports NotFound for unregistered keys and BadArgument for values the factory rejects", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/x"), true);
    const h = s.upstreamRequest.headers;
    expect(value(h, "x-r-fs-unknown")).toBe(String(WasmResult.NotFound));
    expect(value(h, "x-r-fs-bad")).toBe(String(WasmResult.BadArgument));
    expect(s.filterState.plain("not.registered.key")).toBeNull();
    expect(host.traps).toEqual([]);
  });

  it("works from a network filter's new-connection callback", async () => {
    const host = new Host();
    const beta = await host.loadPlugin({ module: probe, rootId: "beta" });
    const c = host.tcpConnection({ filters: [beta], properties: { "source.address": "10.0.0.1:1000", "destination.address": "10.0.0.2:80" } });
    c.open();
    expect(c.filterState.plain("envoy.tcp_proxy.cluster")).toBe("beta-cluster");
  });
});

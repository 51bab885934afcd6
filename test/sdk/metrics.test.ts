// sdk/metrics.ts: define once → id, then increment / record / get; Envoy's status for bad updates.
import { beforeAll, describe, expect, it } from "vitest";
import { Host, WasmResult } from "../../emulator/index.ts";
import { GET, PROBE, buildModule, value } from "./helpers.ts";

let probe: string;
beforeAll(async () => {
  probe = await buildModule(PROBE);
});

describe("metrics", () => {
  it("counts, sets gauges and records histograms under wasmcustom.<name>", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    for (let i = 1; i <= 3; i++) {
      const s = host.httpStream({ filters: [alpha] });
      s.sendRequestHeaders(GET("/x"), true);
      expect(value(s.upstreamRequest.headers, "x-r-counter")).toBe(String(i));
      expect(value(s.upstreamRequest.headers, "x-r-gauge")).toBe("5");
      expect(value(s.upstreamRequest.headers, "x-r-histogram")).toBe(String(WasmResult.Ok));
      s.sendResponseHeaders([[":status", "200"]], true);
      s.complete();
    }
    expect(Number(host.metric("wasmcustom.probe_requests_total"))).toBe(3);
    expect(Number(host.metric("wasmcustom.probe_gauge"))).toBe(5);
    expect(host.prometheus()).toMatch(/^probe_requests_total\{?.*\}? 3$/m);
  });

  it("returns BadArgument for a counter increment of 0 instead of trapping", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/x"), true);
    expect(value(s.upstreamRequest.headers, "x-r-inc0")).toBe(String(WasmResult.BadArgument));
    expect(host.traps).toEqual([]);
  });

  it("keeps one stat per name across plugins on one VM", async () => {
    const host = new Host();
    const beta = await host.loadPlugin({ module: probe, vmId: "v", rootId: "beta" });
    for (let i = 0; i < 2; i++) {
      const c = host.tcpConnection({ filters: [beta], properties: { "source.address": "10.0.0.1:1000", "destination.address": "10.0.0.2:80" } });
      c.open();
      c.closeDownstream("local");
    }
    expect(Number(host.metric("wasmcustom.probe_beta_connections_total"))).toBe(2);
  });
});

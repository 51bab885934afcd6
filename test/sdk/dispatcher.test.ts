// sdk/dispatcher.ts: root contexts chosen by root_id (several per VM), stream contexts created under their root
// on the first callback, Envoy's teardown orders.
import { beforeAll, describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { GET, PROBE, buildModule, value } from "./helpers.ts";

let probe: string;
beforeAll(async () => {
  probe = await buildModule(PROBE);
});

describe("root contexts", () => {
  it("serves several plugins on one VM, each with the root registered for its root_id", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, vmId: "shared", rootId: "alpha", name: "a", configuration: "cfg-a" });
    const beta = await host.loadPlugin({ module: probe, vmId: "shared", rootId: "beta", name: "b" });

    const sa = host.httpStream({ filters: [alpha] });
    sa.sendRequestHeaders(GET("/x"), true);
    sa.sendResponseHeaders([[":status", "200"]], true);
    sa.complete();
    expect(value(sa.upstreamRequest.headers, "x-r-root")).toBe("alpha");
    expect(value(sa.upstreamRequest.headers, "x-r-config")).toBe("cfg-a");
    expect(value(sa.downstreamResponse.headers, "x-root")).toBe("alpha");

    const sb = host.httpStream({ filters: [beta] });
    sb.sendRequestHeaders(GET("/x"), true);
    sb.sendResponseHeaders([[":status", "200"]], true);
    sb.complete();
    expect(value(sb.upstreamRequest.headers, "x-r-root")).toBeUndefined();
    expect(value(sb.downstreamResponse.headers, "x-root")).toBe("beta");

    // Both plugins in one chain: each stream context belongs to its own root.
    const both = host.httpStream({ filters: [alpha, beta] });
    both.sendRequestHeaders(GET("/x"), true);
    both.sendResponseHeaders([[":status", "200"]], true);
    both.complete();
    const roots = both.downstreamResponse.headers!.filter(([k]) => k === "x-root").map(([, v]) => v).sort();
    expect(roots).toEqual(["alpha", "beta"]);
    expect(host.traps).toEqual([]);
  });

  it("fails the plugin load with a critical log when no root is registered for the root_id", async () => {
    const host = new Host();
    await expect(host.loadPlugin({ module: probe, rootId: "gamma" })).rejects.toThrow();
    const line = host.logs.find((l) => l.message.includes("no root context registered for root_id 'gamma'"));
    expect(line?.level).toBe("critical");
    expect(line?.message).toContain("alpha,beta");
  });

  it("rejects a configuration when onConfigure returns false, with the module's log line", async () => {
    const host = new Host();
    await expect(host.loadPlugin({ module: probe, rootId: "alpha", configuration: "reject" })).rejects.toThrow();
    expect(host.logs.some((l) => l.level === "error" && l.message.includes("$.mode: rejected on purpose"))).toBe(true);
  });
});

describe("HTTP streams", () => {
  it("runs log → done → delete at the end of the stream and reports the response code in on_log", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/x"), true);
    s.sendResponseHeaders([[":status", "201"]], true);
    s.complete();
    const messages = host.logs.map((l) => l.message);
    // Envoy (HTTP): on_log first, then on_done.
    const logAt = messages.indexOf("alpha log code=201");
    const doneAt = messages.indexOf("alpha done");
    expect(logAt).toBeGreaterThanOrEqual(0);
    expect(doneAt).toBeGreaterThan(logAt);
  });

  it("sends a local reply with the module's status, details, body and headers", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/deny"), true);
    expect(s.localResponse?.status).toBe(401);
    expect(s.localResponse?.details).toBe("probe_denied");
    expect(s.localResponse?.bodyText).toBe("nope");
    expect(s.localResponse?.headers).toContainEqual(["x-deny", "1"]);
    expect(s.upstreamRequest.headers).toBeNull();
    s.complete();
    expect(host.traps).toEqual([]);
  });
});

describe("abort", () => {
  it("reports AssemblyScript aborts through proxy_log at critical, then traps (no env.abort import)", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha", failurePolicy: "FAIL_CLOSED" });
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/abort"), true);
    expect(host.traps.map((t) => t.callback)).toEqual(["proxy_on_request_headers"]);
    const line = host.logs.find((l) => l.message.startsWith("abort: "));
    expect(line?.level).toBe("critical");
    expect(line?.message).toMatch(/^abort: Index out of range at ~lib\/array\.ts:\d+:\d+$/);
    expect(s.localResponse?.status).toBe(503); // Envoy's fail-closed reply
  });
});

describe("TCP connections", () => {
  it("creates the TCP context on new connection and delivers data and close callbacks in Envoy's order", async () => {
    const host = new Host();
    const beta = await host.loadPlugin({ module: probe, rootId: "beta" });
    const c = host.tcpConnection({ filters: [beta], properties: { "source.address": "10.0.0.1:4567", "destination.address": "10.0.0.2:80" } });
    c.open();
    c.downstreamData("hello", false);
    c.upstreamData("world", true);
    c.closeDownstream("remote");
    expect(Buffer.from(c.toUpstream).toString()).toBe(">hello");
    expect(Buffer.from(c.toDownstream).toString()).toBe("world<");
    const tcp = host.logs.map((l) => l.message).filter((m) => m.startsWith("tcp "));
    expect(tcp).toEqual([
      "tcp new fs=0 prop=0",
      "tcp upstream close peer=0",
      "tcp downstream close peer=2",
      "tcp done",
      "tcp log",
      "tcp delete",
    ]);
    expect(c.filterState.plain("envoy.tcp_proxy.cluster")).toBe("beta-cluster");
    expect(c.filterState.plain("wasm.conn_marker")).toBe("b");
    expect(host.traps).toEqual([]);
  });
});

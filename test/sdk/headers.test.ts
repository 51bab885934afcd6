// sdk/headers.ts and sdk/buffers.ts: Envoy's pair encoding and header-map semantics, body edits, trailers.
import { beforeAll, describe, expect, it } from "vitest";
import { Host, WasmResult } from "../../emulator/index.ts";
import { GET, PROBE, buildModule, value, values } from "./helpers.ts";

let probe: string;
beforeAll(async () => {
  probe = await buildModule(PROBE);
});

describe("header maps", () => {
  it("gets, adds, replaces and removes request headers", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    const s = host.httpStream({ filters: [alpha] });
    const request: Array<[string, string]> = [
      ...GET("/some/path?q=1"), ["x-replace-me", "old1"], ["x-replace-me", "old2"], ["x-remove-me", "gone"], ["x-keep", "kept"],
    ];
    s.sendRequestHeaders(request, true);
    const h = s.upstreamRequest.headers;
    expect(value(h, "x-r-num-headers")).toBe(String(request.length));
    expect(value(h, "x-r-pairs")).toBe(String(request.length)); // get_header_map_pairs decoded
    expect(value(h, "x-r-path")).toBe("/some/path?q=1");
    expect(value(h, "x-r-absent-header")).toBe(`null:${WasmResult.NotFound}`);
    expect(values(h, "x-added")).toEqual(["a1", "a2"]);
    expect(values(h, "x-replace-me")).toEqual(["new"]);
    expect(values(h, "x-remove-me")).toEqual([]);
    expect(value(h, "x-r-remove-absent-status")).toBe(String(WasmResult.Ok));
    expect(value(h, "x-keep")).toBe("kept");
    expect(host.traps).toEqual([]);
  });

  it("adds response headers and request trailers", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/x"), false);
    s.sendRequestTrailers([["x-t", "1"], ["x-u", "2"]]);
    expect(s.upstreamRequest.trailers).toContainEqual(["x-trailer-added", "2"]);
    s.sendResponseHeaders([[":status", "200"]], true);
    expect(value(s.downstreamResponse.headers, "x-root")).toBe("alpha");
  });
});

describe("bodies", () => {
  it("reads the buffered request body and edits it with Envoy's replace/prepend/append model", async () => {
    const host = new Host();
    const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
    const s = host.httpStream({ filters: [alpha] });
    s.sendRequestHeaders(GET("/x"), false);
    s.sendRequestBody("hel", false);
    s.sendRequestBody("lo", true);
    expect(s.upstreamRequest.bodyText).toBe("<[hello]>");
    s.sendResponseHeaders([[":status", "200"]], false);
    s.sendResponseBody("ok", true);
    expect(s.downstreamResponse.bodyText).toBe("ok!");
    expect(host.traps).toEqual([]);
  });
});

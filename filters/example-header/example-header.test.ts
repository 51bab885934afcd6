// example-header driven through the emulator: response header, request counter, denied paths, config validation.
import { beforeAll, describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { compileAssemblyScript } from "../../scripts/asc.mjs";
import { GET, value, values } from "../../test/sdk/helpers.ts";

const CONFIG = JSON.stringify({
  response_header: { name: "x-served-by", value: "ambient-wasm" },
  deny_paths: ["/admin", "/internal/debug"],
  deny_status: 404,
});

let wasm: string;
beforeAll(async () => {
  wasm = (await compileAssemblyScript("filters/example-header/filter.ts", "build/example-header.wasm")).outFile;
});

async function load(configuration: string = CONFIG, host: Host = new Host()) {
  const plugin = await host.loadPlugin({ module: wasm, name: "example-header", rootId: "example-header", configuration });
  return { host, plugin };
}

describe("example-header", () => {
  it("sets the configured response header, replacing the upstream's", async () => {
    const { host, plugin } = await load();
    const s = host.httpStream({ filters: [plugin] });
    s.sendRequestHeaders(GET("/hello"), true);
    expect(s.upstreamRequest.headers).not.toBeNull();
    s.sendResponseHeaders([[":status", "200"], ["x-served-by", "upstream"]], true);
    s.complete();
    expect(values(s.downstreamResponse.headers, "x-served-by")).toEqual(["ambient-wasm"]);
    expect(host.traps).toEqual([]);
  });

  it("answers denied paths locally (query ignored) and counts requests and denials", async () => {
    const { host, plugin } = await load();
    const denied = host.httpStream({ filters: [plugin] });
    denied.sendRequestHeaders(GET("/admin?x=1"), true);
    expect(denied.localResponse?.status).toBe(404);
    expect(denied.localResponse?.details).toBe("example_header_denied");
    expect(denied.localResponse?.headers).toEqual([["x-denied-by", "example-header"]]);
    expect(denied.upstreamRequest.headers).toBeNull();
    denied.complete();

    const allowed = host.httpStream({ filters: [plugin] });
    allowed.sendRequestHeaders(GET("/admin/other"), true);
    expect(allowed.localResponse).toBeNull();
    allowed.sendResponseHeaders([[":status", "200"]], true);
    allowed.complete();

    expect(Number(host.metric("wasmcustom.example_header_requests_total"))).toBe(2);
    expect(Number(host.metric("wasmcustom.example_header_denied_total"))).toBe(1);
    expect(host.prometheus()).toMatch(/^example_header_requests_total\{?.*\}? 2$/m);
  });

  it("makes at most 8 host calls per request", async () => {
    const { host, plugin } = await load(CONFIG, new Host({ countHostCalls: true }));
    const counter = host.hostCalls!;
    for (const path of ["/hello", "/admin"]) {
      counter.reset();
      const s = host.httpStream({ filters: [plugin] });
      s.sendRequestHeaders(GET(path), true);
      if (!s.localResponse) s.sendResponseHeaders([[":status", "200"]], true);
      s.complete();
      expect(counter.get("env.proxy_increment_metric"), path).toBeGreaterThan(0); // the counter sees the module's calls
      expect(counter.total(), path).toBeLessThanOrEqual(8);
    }
  });

  describe("configuration", () => {
    const bad: Array<[string, string]> = [
      ["{", "$"],
      ["[]", "$"],
      [JSON.stringify({ deny_paths: [] }), "$.response_header"],
      [JSON.stringify({ response_header: { value: "v" } }), "$.response_header.name"],
      [JSON.stringify({ response_header: { name: "X-Upper", value: "v" } }), "$.response_header.name"],
      [JSON.stringify({ response_header: { name: "x", value: 1 } }), "$.response_header.value"],
      [JSON.stringify({ response_header: { name: "x", value: "v" }, deny_paths: ["admin"] }), "$.deny_paths[0]"],
      [JSON.stringify({ response_header: { name: "x", value: "v" }, deny_status: 200 }), "$.deny_status"],
      [JSON.stringify({ response_header: { name: "x", value: "v" }, extra: true }), "$.extra"],
    ];
    for (const [config, path] of bad) {
      it(`rejects ${config} naming ${path}`, async () => {
        const host = new Host();
        await expect(load(config, host)).rejects.toThrow();
        const line = host.logs.find((l) => l.level === "error" && l.message.startsWith("example-header: invalid configuration: "));
        expect(line?.message).toContain(`configuration: ${path}`);
      });
    }

    it("accepts a minimal configuration (no denied paths)", async () => {
      const { host, plugin } = await load(JSON.stringify({ response_header: { name: "x-a", value: "" } }));
      const s = host.httpStream({ filters: [plugin] });
      s.sendRequestHeaders(GET("/admin"), true);
      expect(s.localResponse).toBeNull();
      s.sendResponseHeaders([[":status", "200"]], true);
      expect(value(s.downstreamResponse.headers, "x-a")).toBe("");
    });
  });
});

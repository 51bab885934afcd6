// sdk/properties.ts: NUL-separated paths, Envoy's value encodings, NotFound as a value, set_property.
import { beforeAll, describe, expect, it } from "vitest";
import { Host, WasmResult } from "../../emulator/index.ts";
import { GET, PROBE, buildModule, value } from "./helpers.ts";

let probe: string;
beforeAll(async () => {
  probe = await buildModule(PROBE);
});

async function probeRequest(connection: Record<string, string | number | boolean>) {
  const host = new Host();
  const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
  const s = host.httpStream({ filters: [alpha], connection });
  s.sendRequestHeaders(GET("/x"), true);
  return { host, s, headers: s.upstreamRequest.headers };
}

describe("properties", () => {
  it("returns NotFound for an unknown property without trapping", async () => {
    const { host, headers } = await probeRequest({ "source.address": "10.0.0.1:4567" });
    expect(value(headers, "x-r-missing")).toBe(`null:${WasmResult.NotFound}`);
    expect(host.traps).toEqual([]);
  });

  it("splits an IPv4 source.address into ip and port", async () => {
    const { headers } = await probeRequest({ "source.address": "10.0.0.1:4567", "source.port": 4567 });
    expect(value(headers, "x-r-src-ip")).toBe("10.0.0.1");
    expect(value(headers, "x-r-src-port")).toBe("4567");
    expect(value(headers, "x-r-src-port-prop")).toBe("4567"); // int64 little-endian
  });

  it("splits a bracketed IPv6 source.address", async () => {
    const { headers } = await probeRequest({ "source.address": "[2001:db8::7]:443" });
    expect(value(headers, "x-r-src-ip")).toBe("2001:db8::7");
    expect(value(headers, "x-r-src-port")).toBe("443");
  });

  it("rejects a malformed address instead of guessing", async () => {
    const { headers } = await probeRequest({ "source.address": "[2001:db8::7:443" });
    expect(value(headers, "x-r-src-ip")).toBe("none");
  });

  it("decodes booleans", async () => {
    expect(value((await probeRequest({ "connection.mtls": true })).headers, "x-r-mtls")).toBe("true");
    expect(value((await probeRequest({ "connection.mtls": false })).headers, "x-r-mtls")).toBe("false");
  });

  it("stores set_property values as wasm.<name> filter state, readable back and through %FILTER_STATE(:PLAIN)%", async () => {
    const { s, headers } = await probeRequest({});
    expect(value(headers, "x-r-setprop")).toBe(String(WasmResult.Ok));
    expect(value(headers, "x-r-getprop")).toBe("hello");
    expect(s.filterState.plain("wasm.probe_value")).toBe("hello");
  });
});

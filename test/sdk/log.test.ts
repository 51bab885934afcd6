// sdk/log.ts: the cached level gates messages before any string is built or proxy_log is called.
import { beforeAll, describe, expect, it } from "vitest";
import { Host } from "../../emulator/index.ts";
import { GET, PROBE, buildModule } from "./helpers.ts";

let probe: string;
beforeAll(async () => {
  probe = await buildModule(PROBE);
});

/** One request after the plugin is configured; `host.hostCalls` then holds only the request's calls. */
async function quietRequest(logLevel: "trace" | "debug" | "info" | "off") {
  const host = new Host({ logLevel, countHostCalls: true });
  const alpha = await host.loadPlugin({ module: probe, rootId: "alpha" });
  host.hostCalls!.reset();
  const s = host.httpStream({ filters: [alpha] });
  s.sendRequestHeaders(GET("/quiet"), true);
  s.sendResponseHeaders([[":status", "200"]], true);
  s.complete();
  return host;
}

describe("log level gating", () => {
  it("makes no proxy_log call when the level is above the message", async () => {
    const host = await quietRequest("info");
    const calls = host.hostCalls!;
    expect(calls.get("env.proxy_get_header_map_value")).toBeGreaterThan(0); // the counter sees the module's calls
    expect(calls.get("env.proxy_log")).toBe(0);
    expect(host.logs.filter((l) => l.message.startsWith("probe-debug"))).toEqual([]);
  });

  it("tolerates level off (6): nothing is logged, nothing traps", async () => {
    const host = await quietRequest("off");
    expect(host.hostCalls!.get("env.proxy_log")).toBe(0);
    expect(host.traps).toEqual([]);
  });

  it("logs the message when the level allows it", async () => {
    const host = await quietRequest("debug");
    expect(host.hostCalls!.get("env.proxy_log")).toBe(1);
    expect(host.logs.some((l) => l.level === "debug" && /^probe-debug context \d+$/.test(l.message))).toBe(true);
  });

  it("reads the level on configure, not per request", async () => {
    const configured = new Host({ logLevel: "info", countHostCalls: true });
    await configured.loadPlugin({ module: probe, rootId: "alpha" });
    expect(configured.hostCalls!.get("env.proxy_get_log_level")).toBeGreaterThan(0);
    const calls = (await quietRequest("trace")).hostCalls!;
    expect(calls.get("env.proxy_get_header_map_value")).toBeGreaterThan(0);
    expect(calls.get("env.proxy_get_log_level")).toBe(0);
  });
});

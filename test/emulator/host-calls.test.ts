// The host-call counting hook: Host({ countHostCalls: true }) counts every import invocation by name,
// host-wide and per plugin.
import { describe, it, expect } from "vitest";
import { Host } from "../../emulator/index.ts";
import { wat } from "./wat.ts";

const REQ: Array<[string, string]> = [[":method", "GET"], [":path", "/"], [":authority", "a"], [":scheme", "http"]];

describe("host call counting", () => {
  it("is off unless asked for", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("lifecycle") });
    expect(host.hostCalls).toBeNull();
    expect(p.hostCalls).toBeNull();
  });

  it("counts every import call by name, host-wide and per plugin (init calls only host-wide)", async () => {
    const host = new Host({ countHostCalls: true });
    const module = await wat("lifecycle");
    const a = await host.loadPlugin({ module, vmId: "v", name: "a" });
    const b = await host.loadPlugin({ module, vmId: "v", name: "b" });
    // _initialize logs once (no plugin context); each plugin logs create+parent, vm_start, configure.
    expect(host.hostCalls!.snapshot()).toEqual({ "env.proxy_log": 9 });
    expect(a.hostCalls!.get("env.proxy_log")).toBe(4);
    expect(b.hostCalls!.get("env.proxy_log")).toBe(4);
    host.httpStream({ filters: [a] }).sendRequestHeaders(REQ, true).sendResponseHeaders([[":status", "200"]], true).complete();
    // create + parent, request_headers, response_headers, log, done, delete.
    expect(a.hostCalls!.get("env.proxy_log")).toBe(11);
    expect(b.hostCalls!.total()).toBe(4);
    expect(host.hostCalls!.total()).toBe(16);
    expect(host.hostCalls!.total(["env.proxy_log"])).toBe(0);
    a.hostCalls!.reset();
    expect(a.hostCalls!.total()).toBe(0);
    expect(host.hostCalls!.total()).toBe(16);
  });

  it("names WASI calls by their module and counts calls that trap as restricted", async () => {
    const host = new Host({ countHostCalls: true });
    await host.loadPlugin({ module: await wat("wasi-imports") });
    expect(host.hostCalls!.snapshot()).toEqual({
      "env.proxy_log": 9,
      "wasi_snapshot_preview1.clock_time_get": 2,
      "wasi_snapshot_preview1.environ_sizes_get": 1,
      "wasi_snapshot_preview1.fd_write": 2,
      "wasi_snapshot_preview1.proc_exit": 1,
      "wasi_snapshot_preview1.random_get": 1,
      "wasi_unstable.fd_write": 1,
    });
    const failing = new Host({ countHostCalls: true });
    await failing.loadPlugin({ module: await wat("init-restricted") }).catch(() => undefined);
    // "before" was logged, then proxy_get_property trapped (restricted during _initialize) and was counted.
    expect(failing.hostCalls!.snapshot()).toEqual({ "env.proxy_get_property": 1, "env.proxy_log": 1 });
  });
});

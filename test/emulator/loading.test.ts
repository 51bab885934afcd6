import { describe, it, expect } from "vitest";
import { Host, PluginLoadError, envoyImportNames } from "../../emulator/index.ts";
import { wat, messages } from "./wat.ts";

async function loadError(name: string, opts: Record<string, unknown> = {}): Promise<PluginLoadError> {
  const host = new Host();
  try {
    await host.loadPlugin({ module: await wat(name), ...opts });
  } catch (e) {
    expect(e).toBeInstanceOf(PluginLoadError);
    return e as PluginLoadError;
  }
  throw new Error(`${name} loaded`);
}

describe("envoyImportNames", () => {
  it("lists Envoy's import set per ABI version", () => {
    const v021 = envoyImportNames("0.2.1");
    const v020 = envoyImportNames("0.2.0");
    const v010 = envoyImportNames("0.1.0");
    expect(v021.has("env.proxy_get_log_level")).toBe(true);
    expect(v020.has("env.proxy_get_log_level")).toBe(false);
    expect(v021.has("env.proxy_continue_stream") && v020.has("env.proxy_close_stream")).toBe(true);
    expect(v010.has("env.proxy_continue_stream")).toBe(false);
    for (const n of ["proxy_get_configuration", "proxy_continue_request", "proxy_continue_response", "proxy_clear_route_cache"]) {
      expect(v010.has(`env.${n}`)).toBe(true);
      expect(v021.has(`env.${n}`)).toBe(false);
    }
    for (const n of ["env.pthread_equal", "env.emscripten_notify_memory_growth", "env.envoy_resolve_dns",
      "env.proxy_call_foreign_function", "wasi_unstable.fd_write", "wasi_snapshot_preview1.fd_write",
      "wasi_snapshot_preview1.fd_filestat_get", "wasi_unstable.path_filestat_get"]) {
      expect(v021.has(n)).toBe(true);
    }
    expect(v021.has("env.abort")).toBe(false);
    expect(v021.has("env.proxy_get_shared_data_keys")).toBe(false);
    // 36 common proxy_* + 3 (0.2.1) + 3 always-registered + 45 WASI × 2 module names.
    expect(v021.size).toBe(36 + 3 + 3 + 45 * 2);
    expect(v010.size).toBe(36 + 4 + 3 + 45 * 2);
  });
});

describe("loading", () => {
  it("loads an ABI 0.1.0 module with the 0.1.0 import set and calling convention", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("abi-0-1-0"), configuration: "cfg" });
    expect(p.abi).toBe("0.1.0");
    expect(messages(host.logs)).toEqual(["get_configuration=0", "cfg"]);
    const s = host.httpStream({ filters: [p] });
    s.sendRequestHeaders([[":method", "GET"], [":path", "/"]], true);
    expect(messages(host.logs).slice(2)).toEqual(["headers=2", "missing=0", "missing_size=0"]);
    expect(s.upstreamRequest.headers).toEqual([[":method", "GET"], [":path", "/"]]);
  });

  it("rejects a 0.2.1 module importing a 0.1.0-only function, naming the import", async () => {
    const e = await loadError("abi-0-2-1-old-import");
    expect(e.message).toBe("Failed to load Wasm module due to a missing import: env.proxy_continue_request");
  });

  it("rejects proxy_get_log_level under ABI 0.2.0", async () => {
    const e = await loadError("abi-0-2-0-log-level");
    expect(e.message).toBe("Failed to load Wasm module due to a missing import: env.proxy_get_log_level");
  });

  it("rejects AssemblyScript's default env.abort import (docs/envoy-facts.md: host-imports, restricted-init)", async () => {
    const e = await loadError("as-default-abort", { name: "rbac" });
    expect(e.message).toBe("Failed to load Wasm module due to a missing import: env.abort");
    expect(e.envoyMessage).toBe("Unable to create Wasm plugin rbac");
  });

  it("rejects an import with the wrong signature", async () => {
    const e = await loadError("import-type-mismatch");
    expect(e.message).toMatch(/^Failed to load Wasm module due to an import type mismatch: env\.proxy_log/);
  });

  it("rejects imported globals as missing imports", async () => {
    const e = await loadError("imported-global");
    expect(e.message).toBe("Failed to load Wasm module due to a missing import: env.__stack_pointer");
  });

  it("rejects an export with the wrong signature", async () => {
    const e = await loadError("bad-export-signature");
    expect(e.message).toBe("Bad function signature for: proxy_on_request_headers, want: i32 i32 i32 -> i32, but the module exports: i32 i32 -> i32");
  });

  it("rejects modules without an ABI marker, without an allocator, and corrupt bytes", async () => {
    expect((await loadError("no-abi-marker")).message).toBe("Missing or unknown Proxy-Wasm ABI version");
    expect((await loadError("no-allocator")).message).toBe("Wasm module is missing malloc function.");
    const host = new Host();
    await expect(host.loadPlugin({ module: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 99]) })).rejects.toThrow(
      "Failed to parse corrupted Wasm module");
  });

  it("runs _initialize then main(0,0), ignoring _start (init conventions)", async () => {
    const host = new Host();
    await host.loadPlugin({ module: await wat("init-main") });
    expect(messages(host.logs)).toEqual(["_initialize", "main"]);
  });

  it("runs __main_void when there is no main", async () => {
    const host = new Host();
    await host.loadPlugin({ module: await wat("init-main-void") });
    expect(messages(host.logs)).toEqual(["_initialize", "__main_void"]);
  });

  it("runs _start (and not main) for a WASI command module", async () => {
    const host = new Host();
    await host.loadPlugin({ module: await wat("init-start") });
    expect(messages(host.logs)).toEqual(["_start"]);
  });

  it("traps a restricted hostcall during _initialize and fails the load (docs/envoy-facts.md: host-imports, restricted-init)", async () => {
    const e = await loadError("init-restricted");
    const [envoyLine, hint] = e.message.split("\n");
    // What Envoy 1.36.2 and 1.40.0 (V8) log for this module (test/e2e/failure.test.ts), then the emulator's hint on a line of its own.
    expect(envoyLine).toBe("Function: _initialize failed: Uncaught Error: restricted_callback");
    expect(hint).toBe("hint: _initialize (the module's top-level code) called env.proxy_get_property, which Envoy allows " +
      "only once the plugin has a context: move it into a callback such as onConfigure (RootContext)");
  });

  it("says Envoy crashes on a restricted hostcall in a wasm start section", async () => {
    // Envoy 1.36.2 and 1.40.0 die with a segmentation fault loading this module (test/e2e/failure.test.ts).
    const e = await loadError("start-section-restricted");
    expect(e.message).toBe("Envoy crashes (segmentation fault) instantiating a module whose start section calls a host function: restricted_callback");
  });

  it("prefers malloc over proxy_on_memory_allocate and returns empty values as (0,0) without allocating (docs/envoy-facts.md: allocator)", async () => {
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("allocators"), vmConfig: "vmcfg" });
    expect(messages(host.logs)).toEqual(["malloc", "vmcfg"]);
    host.httpStream({ filters: [p] }).sendRequestHeaders([[":path", "/"]], true);
    expect(messages(host.logs).slice(2)).toEqual(["empty=(0,0)"]);
  });

  it("falls back to proxy_on_memory_allocate", async () => {
    const host = new Host();
    await host.loadPlugin({ module: await wat("allocator-fallback"), vmConfig: "abc" });
    expect(messages(host.logs)).toEqual(["proxy_on_memory_allocate", "abc"]);
  });

  it("fails the VM when the allocator traps under a host call, yet loads the plugin; its streams fail closed", async () => {
    // What Envoy 1.36.2 and 1.40.0 do (test/e2e/failure.test.ts): malloc is a call of its own, on_vm_start goes on
    // and returns 1, and a failed VM counts as configured.
    const host = new Host();
    const p = await host.loadPlugin({ module: await wat("malloc-restricted"), vmConfig: "x" });
    expect(host.traps.map((t) => [t.callback, t.message])).toEqual([["malloc", "Function: malloc failed: Uncaught Error: restricted_callback"]]);
    expect(p.failed).toBe(true);
    const s = host.httpStream({ filters: [p] }).sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "x"], [":scheme", "http"]], true);
    expect(s.localResponse).toMatchObject({ status: 503, details: "wasm_fail_stream" });
  });

  it("reports a failed on_vm_start / on_configure as Envoy's rejection", async () => {
    expect((await loadError("start-configure", { vmConfig: "fail" })).message).toBe("Failed to start base Wasm");
    expect((await loadError("start-configure", { configuration: "fail" })).message).toBe("Failed to configure base Wasm plugin");
  });

  it("exposes the plugin configuration only during on_configure; the VM configuration always", async () => {
    const host = new Host();
    await host.loadPlugin({ module: await wat("start-configure"), configuration: "{\"a\":1}", vmConfig: "vm" });
    expect(messages(host.logs)).toEqual(["plugin_config=0", "{\"a\":1}"]);
    host.advanceTime(1000);
    expect(messages(host.logs).slice(2)).toEqual(["plugin_config_later=1", "vm_config_later=0"]);
  });

  it("provides the WASI subset under both module names", async () => {
    const host = new Host();
    await host.loadPlugin({ module: await wat("wasi-imports"), environment: { A: "1", B: "2" } });
    expect(host.logs.filter((l) => l.message === "hello").map((l) => l.level)).toEqual(["info", "error"]);
    expect(messages(host.logs).filter((m) => m !== "hello")).toEqual([
      "stdout=0", "stderr=0", "badfd=8", "clock=0", "clock_bad=58", "environ=0", "environ_count=2", "random_big=28", "wasi_unstable proc_exit",
      "after_proc_exit",
    ]);
  });

  it("shares one VM between plugins with the same vm_id, code and vm configuration", async () => {
    const host = new Host();
    const module = await wat("lifecycle");
    const a = await host.loadPlugin({ module, vmId: "x", name: "a" });
    const b = await host.loadPlugin({ module, vmId: "x", name: "b" });
    const c = await host.loadPlugin({ module, vmId: "x", name: "c", vmConfig: "other" });
    expect(a.vm).toBe(b.vm);
    expect(c.vm).not.toBe(a.vm);
  });
});

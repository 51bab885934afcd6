// sdk/hostcalls.ts: every raw import is one Envoy registers, with Envoy's signature (ABI 0.2.1: gRPC calls with
// 12/9 parameters, i64 metric values), and non-Ok statuses come back as values.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { Host, envoyImportNames } from "../../emulator/index.ts";
import { buildModule } from "./helpers.ts";

let wasm: string;
beforeAll(async () => {
  wasm = await buildModule("test/sdk/assembly/all-hostcalls.ts");
});

describe("host-call declarations", () => {
  it("import only names Envoy registers", () => {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasm)));
    const allowed = envoyImportNames("0.2.1");
    expect(imports.filter((i) => !allowed.has(`${i.module}.${i.name}`))).toEqual([]);
    // Every raw import declared in sdk/hostcalls.ts is in use here, so the link check below covers all of them.
    const declared = [...readFileSync("sdk/hostcalls.ts", "utf8").matchAll(/@external\("env", "(\w+)"\)/g)].map((m) => m[1]);
    expect(declared.length).toBeGreaterThan(30);
    expect(declared.filter((name) => !imports.some((i) => i.module === "env" && i.name === name))).toEqual([]);
  });

  it("link with Envoy's signatures and return statuses instead of trapping", async () => {
    const host = new Host({ logLevel: "info" });
    await host.loadPlugin({ module: wasm });
    host.advanceTime(1000);
    expect(host.traps).toEqual([]);
    const line = host.logs.find((l) => l.message.startsWith("results "));
    expect(line).toBeDefined();
    const results = line!.message.slice("results ".length).split(",").map(Number);
    expect(results.length).toBe(36);
    expect(results.every((r) => Number.isInteger(r))).toBe(true);
    // A few statuses with a known Envoy answer from a root context's tick:
    expect(results[0]).toBe(2); // http_call without :path → BadArgument
    expect(results[6]).toBe(0); // set_shared_data → Ok
    expect(results[7]).toBe(0); // get_shared_data of the key just set
    expect(results[15]).toBe(1); // set_envoy_filter_state in a root context (no stream info) → NotFound
    expect(results[18]).toBe(1); // set_property in a root context → NotFound
  });
});

// Every built filter module must load in Envoy: it may import only what Envoy registers for ABI 0.2.1 and must
// export the ABI marker, both allocators, its memory and the reactor initialiser.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envoyImportNames } from "../../emulator/index.ts";

const buildDir = join(import.meta.dirname, "../../build");
const modules = existsSync(buildDir) ? readdirSync(buildDir).filter((f) => f.endsWith(".wasm")).sort() : [];
const REQUIRED_EXPORTS: Array<[string, WebAssembly.ImportExportKind]> = [
  ["proxy_abi_version_0_2_1", "function"],
  ["malloc", "function"],
  ["proxy_on_memory_allocate", "function"],
  ["memory", "memory"],
  ["_initialize", "function"],
];

describe("built filter modules", () => {
  it("exist (run `npm run build` first)", () => {
    expect(modules.length).toBeGreaterThan(0);
    expect(modules).toContain("example-header.wasm");
  });

  const allowed = envoyImportNames("0.2.1");

  for (const file of modules) {
    describe(file, () => {
      const module = new WebAssembly.Module(readFileSync(join(buildDir, file)));

      it("imports only functions Envoy registers for ABI 0.2.1", () => {
        const unknown = WebAssembly.Module.imports(module)
          .filter((i) => i.kind !== "function" || !allowed.has(`${i.module}.${i.name}`))
          .map((i) => `${i.module}.${i.name} (${i.kind})`);
        expect(unknown).toEqual([]);
      });

      it("never imports AssemblyScript's env.abort / env.trace / env.seed", () => {
        const names = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
        expect(names.filter((n) => ["env.abort", "env.trace", "env.seed"].includes(n))).toEqual([]);
      });

      it("exports the ABI marker, both allocators, memory and _initialize", () => {
        const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
        for (const [name, kind] of REQUIRED_EXPORTS) expect(exports.get(name), name).toBe(kind);
      });
    });
  }
});

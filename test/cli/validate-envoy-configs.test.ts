// Every bootstrap shipped in envoy-configs/ passes `ambient-wasm validate` (schema, semantics, and its Wasm plugins'
// configurations through proxy_on_configure). Needs `npm run build` (npm test runs it first) for build/*.wasm.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../cli/common/diagnostics.ts";
import { validateFile } from "../../cli/validate/validate-config.ts";
import { repoRoot } from "./validate-wasm.ts";

const configDir = join(repoRoot, "envoy-configs");
const configs = readdirSync(configDir).filter((f) => /\.ya?ml$/.test(f) && !/compose/.test(f)).sort();

describe("shipped Envoy configs", () => {
  it("there are configs to check", () => {
    expect(configs.length).toBeGreaterThan(0);
  });

  for (const name of configs) {
    it(`${name} validates without errors`, async () => {
      const diagnostics = await validateFile(join(configDir, name), { baseDir: repoRoot });
      const errors = diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
      expect(errors).toEqual([]);
    });
  }
});

// The shipped Envoy configs and the Wasm modules they load, for the tests of envoy-configs/ and the demo.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileAssemblyScript, root } from "../../scripts/asc.mjs";

export const repoRoot: string = root;
export const configDir = join(repoRoot, "envoy-configs");

/** Every Envoy bootstrap in envoy-configs/ (the Compose file is not one). */
export function shippedBootstraps(): string[] {
  return readdirSync(configDir)
    .filter((f) => /\.ya?ml$/.test(f) && !/^(docker-)?compose\./.test(f))
    .sort()
    .map((f) => join(configDir, f));
}

/** Builds (or finds cached) every `build/<filter>.wasm` a shipped bootstrap names, from `filters/<filter>/filter.ts`. */
export async function buildShippedModules(): Promise<string[]> {
  const names = new Set<string>();
  for (const file of shippedBootstraps()) {
    for (const m of readFileSync(file, "utf8").matchAll(/filename: build\/([a-z0-9-]+)\.wasm/g)) names.add(m[1]);
  }
  for (const name of names) await compileAssemblyScript(`filters/${name}/filter.ts`, `build/${name}.wasm`);
  return [...names].sort();
}

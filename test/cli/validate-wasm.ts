// Builds the tiny hand-written Wasm modules the validator tests point their configs at (build/test/validate/).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import wabtFactory from "wabt";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const fixturesDir = join(repoRoot, "test/cli/fixtures/validate");

/** Compile fixtures/validate/<name>.wat to build/test/validate/<name>.wasm; returns the output path. */
export async function compileFixtureWat(name: string): Promise<string> {
  const wabt = await wabtFactory();
  const source = readFileSync(join(fixturesDir, `${name}.wat`), "utf8");
  const module = wabt.parseWat(`${name}.wat`, source);
  try {
    const { buffer } = module.toBinary({});
    const out = join(repoRoot, "build/test/validate", `${name}.wasm`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, buffer);
    return out;
  } finally {
    module.destroy();
  }
}

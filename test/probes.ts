// Every AssemblyScript probe the tests compile (test/sdk/assembly, test/lib/assembly), with the output each test
// reads. test/global-setup.ts builds them all once per run, in parallel, before any test file starts; the test
// files then find them unchanged (scripts/asc.mjs caches by input hash), so no probe is compiled twice.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { root } from "../scripts/asc.mjs";

export type Runtime = "minimal" | "incremental";

export interface ProbeBuild {
  entry: string;
  outFile: string;
  options: { target?: "release" | "debug"; extraArgs?: string[] };
}

const stem = (entry: string) => entry.replace(/^.*\//, "").replace(/\.ts$/, "");

/** An SDK probe run through the emulator (asconfig.json's runtime unless `runtime` says otherwise). */
export function sdkProbe(entry: string, runtime: Runtime = "minimal"): ProbeBuild {
  return {
    entry,
    outFile: `build/test/sdk/${stem(entry)}-${runtime}.wasm`,
    options: { extraArgs: runtime === "minimal" ? [] : ["--runtime", runtime] },
  };
}

/** An SDK probe called directly from JS, so it also exports the runtime's allocator (__new). */
export function sdkProbeWithRuntimeExports(entry: string): ProbeBuild {
  return { entry, outFile: `build/test/sdk/${stem(entry)}-exports.wasm`, options: { extraArgs: ["--exportRuntime"] } };
}

/** A test/lib/assembly entry, called without a proxy-wasm host (test/lib/harness.ts). */
export function libProbe(name: string): ProbeBuild {
  return {
    entry: `test/lib/assembly/${name}.ts`,
    outFile: `build/test/lib/${name}.wasm`,
    options: { target: "release", extraArgs: ["--exportRuntime"] },
  };
}

const entries = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith(".ts")).sort().map((f) => `${dir}/${f}`);

/** What test/sdk and test/lib compile, each build once. */
export function allProbes(): ProbeBuild[] {
  const sdk = entries("test/sdk/assembly");
  return [
    ...sdk.map((entry) => sdkProbe(entry)),
    sdkProbe("test/sdk/assembly/probe.ts", "incremental"),
    sdkProbeWithRuntimeExports("test/sdk/assembly/header-snapshot.ts"),
    ...entries("test/lib/assembly").map((entry) => libProbe(stem(entry))),
  ];
}

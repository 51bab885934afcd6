// Shared helpers for the SDK tests: building the probe module (test/sdk/assembly/probe.ts) and reading header lists.
// (Host calls are counted by the emulator itself: `new Host({ countHostCalls: true })`.)
import { compileAssemblyScript } from "../../scripts/asc.mjs";

export type Runtime = "minimal" | "incremental";

/**
 * Compiles the probe (or another entry) with the project's asconfig.json; `runtime` overrides its runtime.
 * Each caller passes its own `tag` so test files running in parallel never write the same output file.
 */
export async function buildModule(entry: string, tag: string, runtime: Runtime = "minimal"): Promise<string> {
  const extraArgs = runtime === "minimal" ? [] : ["--runtime", runtime];
  const name = entry.replace(/^.*\//, "").replace(/\.ts$/, "");
  const { outFile } = await compileAssemblyScript(entry, `build/test/sdk/${name}-${tag}-${runtime}.wasm`, { extraArgs });
  return outFile as string;
}

export const PROBE = "test/sdk/assembly/probe.ts";

export const GET = (path: string): Array<[string, string]> => [
  [":method", "GET"], [":path", path], [":authority", "example.test"], [":scheme", "http"],
];

/** All values of `name` in a header list. */
export function values(headers: Array<[string, string]> | null, name: string): string[] {
  return (headers ?? []).filter(([k]) => k === name).map(([, v]) => v);
}

/** The single value of `name`, or undefined. */
export function value(headers: Array<[string, string]> | null, name: string): string | undefined {
  return values(headers, name)[0];
}

// Shared helpers for the SDK tests: building the probe module (test/sdk/assembly/probe.ts) and reading header lists.
// (Host calls are counted by the emulator itself: `new Host({ countHostCalls: true })`.)
import { compileAssemblyScript } from "../../scripts/asc.mjs";
import { sdkProbe, type Runtime } from "../probes.ts";

export type { Runtime };

/**
 * The probe (or another entry) compiled with the project's asconfig.json; `runtime` overrides its runtime.
 * test/global-setup.ts has built it already, so this only checks it is current: one shared build per run.
 */
export async function buildModule(entry: string, runtime: Runtime = "minimal"): Promise<string> {
  const { entry: source, outFile, options } = sdkProbe(entry, runtime);
  return (await compileAssemblyScript(source, outFile, options)).outFile;
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

// Shared helpers for the SDK tests: building the probe module (test/sdk/assembly/probe.ts) and counting the
// host calls a module makes while it runs on the emulator.
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

/**
 * Wraps every `env.*` import handed to the WebAssembly API while installed, so a test can see how often the
 * module called each host function. Covers both ways a host can instantiate (`new WebAssembly.Instance` and
 * `WebAssembly.instantiate`); the wrappers forward to the emulator's real implementations. Tests using it
 * also assert that some calls were seen, so a counter that stopped seeing calls fails instead of passing.
 */
export class HostCallCounter {
  counts = new Map<string, number>();
  private originalInstance = WebAssembly.Instance;
  private originalInstantiate = WebAssembly.instantiate;

  private wrap(imports: WebAssembly.Imports | undefined): WebAssembly.Imports | undefined {
    if (!imports || !imports.env) return imports;
    const counts = this.counts;
    const wrapped: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(imports.env as Record<string, unknown>)) {
      if (typeof value !== "function") {
        wrapped[name] = value;
        continue;
      }
      const fn = value as (...args: unknown[]) => unknown;
      wrapped[name] = (...args: unknown[]) => {
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return fn(...args);
      };
    }
    return { ...imports, env: wrapped as WebAssembly.ModuleImports };
  }

  install(): void {
    const self = this;
    const OriginalInstance = this.originalInstance;
    class CountingInstance extends OriginalInstance {
      constructor(module: WebAssembly.Module, imports?: WebAssembly.Imports) {
        super(module, self.wrap(imports));
      }
    }
    const originalInstantiate = this.originalInstantiate;
    const w = WebAssembly as unknown as Record<string, unknown>;
    w.Instance = CountingInstance;
    w.instantiate = (source: unknown, imports?: WebAssembly.Imports) =>
      (originalInstantiate as (s: unknown, i?: WebAssembly.Imports) => unknown).call(WebAssembly, source, self.wrap(imports));
  }

  uninstall(): void {
    const w = WebAssembly as unknown as Record<string, unknown>;
    w.Instance = this.originalInstance;
    w.instantiate = this.originalInstantiate;
  }

  reset(): void {
    this.counts.clear();
  }

  count(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  /** All host calls seen since the last reset. */
  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
}

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

// Counts the proxy-wasm host calls a module makes, by wrapping the imports of every module instantiated while
// the counter is installed (both `new WebAssembly.Instance` and `WebAssembly.instantiate`).
// Tests use the emulator's own counter instead (`new Host({ countHostCalls: true })`, emulator/README.md "Counting
// host calls"); this copy remains only for bench/probe.ts and goes once that switches too.

type ImportFn = (...args: unknown[]) => unknown;

export class HostCallCounter {
  readonly counts = new Map<string, number>();
  private readonly originalInstance = WebAssembly.Instance;
  private readonly originalInstantiate = WebAssembly.instantiate;

  private wrap(imports: WebAssembly.Imports | undefined): WebAssembly.Imports {
    const counts = this.counts;
    const wrapped: Record<string, Record<string, unknown>> = {};
    for (const [moduleName, members] of Object.entries(imports ?? {})) {
      wrapped[moduleName] = {};
      for (const [name, value] of Object.entries(members as Record<string, unknown>)) {
        if (typeof value !== "function") {
          wrapped[moduleName][name] = value;
          continue;
        }
        const fn = value as ImportFn;
        const key = `${moduleName}.${name}`;
        wrapped[moduleName][name] = (...args: unknown[]) => {
          counts.set(key, (counts.get(key) ?? 0) + 1);
          return fn(...args);
        };
      }
    }
    return wrapped as WebAssembly.Imports;
  }

  /** Starts wrapping (load plugins after this). */
  install(): this {
    const wrap = (imports: WebAssembly.Imports | undefined) => this.wrap(imports);
    const Original = this.originalInstance;
    class CountedInstance extends Original {
      constructor(module: WebAssembly.Module, imports?: WebAssembly.Imports) {
        super(module, wrap(imports));
      }
    }
    const instantiate = this.originalInstantiate;
    const w = WebAssembly as unknown as Record<string, unknown>;
    w.Instance = CountedInstance;
    w.instantiate = (source: unknown, imports?: WebAssembly.Imports) =>
      (instantiate as (s: unknown, i: unknown) => unknown)(source, wrap(imports));
    return this;
  }

  uninstall(): void {
    const w = WebAssembly as unknown as Record<string, unknown>;
    w.Instance = this.originalInstance;
    w.instantiate = this.originalInstantiate;
  }

  reset(): void {
    this.counts.clear();
  }

  /** Calls counted since the last reset, optionally without some imports (e.g. "env.proxy_log"). */
  total(except: string[] = []): number {
    let n = 0;
    for (const [name, count] of this.counts) if (!except.includes(name)) n += count;
    return n;
  }

  /** `{ "env.proxy_get_property": 2, ... }` since the last reset. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort());
  }
}

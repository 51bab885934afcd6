// Steady-state host calls per operation (the emulator's own counter), and the set of callbacks an operation
// reaches, measured on a separate host so the timed runs carry no instrumentation.
import type { Plugin } from "../emulator/index.ts";
import { loadScenario, runOperation } from "./lifecycle.ts";
import type { Scenario } from "./scenarios.ts";

export interface Probe {
  hostCallsPerOp: number;
  /** "env.proxy_get_property" → calls per operation. */
  breakdown: Record<string, number>;
  /** Callbacks invoked in the filters during one operation (all filters of the chain together). */
  callbacks: Set<string>;
}

type Invoke = (ctx: unknown, name: string, fn: unknown, ...args: number[]) => number;

/** Records the name of every export the emulator calls on these plugins' VMs. */
function traceCallbacks(plugins: Plugin[], seen: Set<string>): void {
  for (const vm of new Set(plugins.map((p) => p.vm))) {
    const original = vm.invoke.bind(vm) as Invoke;
    (vm as unknown as { invoke: Invoke }).invoke = (ctx, name, fn, ...args) => {
      seen.add(name);
      return original(ctx, name, fn, ...args);
    };
  }
}

export function probe(scenario: Scenario, warmup = 200, measured = 1000): Probe {
  const { host, plugins } = loadScenario(scenario, true);
  const counter = host.hostCalls!;
  for (let i = 0; i < warmup; i++) runOperation(host, plugins, scenario);
  const callbacks = new Set<string>();
  traceCallbacks(plugins, callbacks);
  counter.reset();
  for (let i = 0; i < measured; i++) runOperation(host, plugins, scenario);
  const breakdown: Record<string, number> = {};
  for (const [name, n] of Object.entries(counter.snapshot())) breakdown[name] = n / measured;
  if (host.traps.length) throw new Error(`${scenario.name}: trap while probing: ${host.traps[0].message}`);
  return { hostCallsPerOp: counter.total() / measured, breakdown, callbacks };
}

// A configured Wasm plugin (envoy source/extensions/common/wasm/plugin.h): name, root_id, plugin configuration,
// failure policy, and its root context on a (possibly shared) VM.
import type { Vm } from "./vm.ts";
import type { Context } from "./context.ts";
import type { FailurePolicy, PluginOptions } from "./index.ts";

/** The plugin could not be created; Envoy rejects the configuration (regardless of fail_open). */
export class PluginLoadError extends Error {
  /** What Envoy's filter factory throws around it. */
  readonly envoyMessage: string;
  constructor(readonly reason: string, readonly pluginName: string) {
    super(reason);
    this.name = "PluginLoadError";
    this.envoyMessage = `Unable to create Wasm plugin ${pluginName}`;
  }
}

export class Plugin {
  readonly name: string;
  readonly rootId: string;
  readonly configuration: Uint8Array;
  readonly failurePolicy: FailurePolicy;
  readonly allowOnHeadersStopIteration: boolean;
  readonly listenerDirection: "UNSPECIFIED" | "INBOUND" | "OUTBOUND";
  readonly options: PluginOptions;
  vm: Vm;
  root!: Context;

  constructor(options: PluginOptions, vm: Vm, configuration: Uint8Array) {
    this.options = options;
    this.name = options.name ?? "";
    this.rootId = options.rootId ?? "";
    this.configuration = configuration;
    this.failurePolicy = options.failurePolicy ?? "FAIL_CLOSED";
    this.allowOnHeadersStopIteration = options.allowOnHeadersStopIteration ?? false;
    this.listenerDirection = options.listenerDirection ?? "UNSPECIFIED";
    this.vm = vm;
  }

  get vmId(): string { return this.vm.vmId; }
  /** The VM hit a runtime error (trap) and is marked failed. */
  get failed(): boolean { return this.vm.failed; }
  get rootContextId(): number { return this.root.id; }
  get abi(): string { return this.vm.abi; }
  /** Current tick period of this plugin's root context (0 = no timer). */
  get tickPeriodMs(): number { return this.vm.host.clock.tickPeriod(this.root); }
}

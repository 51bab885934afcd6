// The VMs Envoy runs for one VM key (vm_id + vm configuration + code; proxy-wasm-cpp-host src/wasm.cc):
// - createWasm: a base VM on the main thread is loaded and initialised (_initialize/_start) but starts no plugin;
// - WasmHandleBase::canary: for every new plugin key a clone of the base is initialised, started and configured,
//   then kill()ed — dropped without on_done/on_delete (include/proxy-wasm/wasm.h kill: wasm_base_ = nullptr,
//   so ~WasmHandleBase never calls startShutdown); a failure there rejects the configuration;
// - getOrCreateThreadLocalWasm/getOrCreateThreadLocalPlugin: every worker thread clones the base once per VM key
//   (again after a runtime failure) and starts and configures each plugin on its clone.
// Clones share only the code: each has its own linear memory, context ids and metric ids.
// Without Host({ workers }) the emulator keeps a single VM and no base or canary.
import type { Host } from "./host.ts";
import { Vm } from "./vm.ts";
import type { CompiledModule } from "./compiled-module.ts";

export class VmSet {
  readonly host: Host;
  readonly key: string;
  readonly vmId: string;
  readonly compiled: CompiledModule;
  readonly vmConfig: Uint8Array;
  readonly environment: Record<string, string>;
  /** Main-thread base VM (worker mode only). */
  base: Vm | null = null;
  /** The thread-local VM of each worker (index = worker); null until created or after a failed creation. */
  readonly workers: Array<Vm | null>;
  /** Canary outcome per plugin key: null = passed, else the rejection reason (plugin_canary_cache_). */
  readonly canaryResults = new Map<string, string | null>();

  constructor(host: Host, key: string, vmId: string, compiled: CompiledModule, vmConfig: Uint8Array,
    environment: Record<string, string>, workerCount: number) {
    this.host = host;
    this.key = key;
    this.vmId = vmId;
    this.compiled = compiled;
    this.vmConfig = vmConfig;
    this.environment = environment;
    this.workers = new Array<Vm | null>(workerCount).fill(null);
  }

  /** A new VM instance of this module (base, canary or worker clone), initialised. Throws VmLoadError. */
  newVm(worker: number): Vm {
    const vm = new Vm(this.host, this.vmId, this.key, this.compiled.bytes, this.vmConfig, this.environment, worker);
    vm.load(this.compiled);
    return vm;
  }
}

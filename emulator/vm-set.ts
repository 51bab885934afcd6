// The VMs Envoy runs for one VM key (vm_id + vm configuration + code; proxy-wasm-cpp-host src/wasm.cc):
// - createWasm: a base VM on the main thread is loaded and initialised (_initialize/_start) but starts no plugin;
// - WasmHandleBase::canary: for every new plugin key a clone of the base is initialised, started and configured,
//   then kill()ed — dropped without on_done/on_delete (include/proxy-wasm/wasm.h kill: wasm_base_ = nullptr,
//   so ~WasmHandleBase never calls startShutdown); a failure there rejects the configuration;
// - getOrCreateThreadLocalWasm/getOrCreateThreadLocalPlugin: every worker thread clones the base once per VM key
//   (again after a runtime failure) and starts and configures each plugin on its clone.
// Clones share only the code: each has its own linear memory, context ids and metric ids.
// Without Host({ workers }) the emulator keeps a single VM and no base or canary.
import { Vm, BASE_VM, CANARY_VM, errorMessage, type VmContext, type VmHost } from "./vm.ts";
import { buildImports } from "./hostcalls.ts";
import { compileModule, VmLoadError, type CompiledModule } from "./compiled-module.ts";
import { PluginLoadError } from "./plugin-load-error.ts";
import type { PluginInfo } from "./context.ts";

/** What the VM set uses of the host (host.ts implements it). */
export interface VmSetHost extends VmHost {
  readonly workerCount: number;
  /** Host({ workers }): base VM, canary and one VM per worker. */
  readonly modelsCanary: boolean;
}

/** The plugin's root context on one VM. */
export interface PluginInstance {
  readonly vm: Vm;
  readonly root: VmContext;
}

/** Rejection texts of the canary (base) and of a worker (thread-local) start (src/wasm.cc). */
const CANARY_FAILURES = { start: "Failed to start base Wasm", configure: "Failed to configure base Wasm plugin" };
const WORKER_FAILURES = { start: "Failed to start thread-local Wasm", configure: "Failed to configure thread-local Wasm plugin" };

function loadFailure(host: VmSetHost, err: unknown, pluginName: string): PluginLoadError {
  const reason = err instanceof VmLoadError ? err.message : errorMessage(err);
  host.logSink.hostLog("error", `Wasm VM failed ${reason}`);
  return new PluginLoadError(reason, pluginName);
}

export class VmSet {
  readonly host: VmSetHost;
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

  constructor(host: VmSetHost, key: string, vmId: string, compiled: CompiledModule, vmConfig: Uint8Array,
    environment: Record<string, string>, workerCount: number) {
    this.host = host;
    this.key = key;
    this.vmId = vmId;
    this.compiled = compiled;
    this.vmConfig = vmConfig;
    this.environment = environment;
    this.workers = new Array<Vm | null>(workerCount).fill(null);
  }

  /**
   * Compile the module for a new VM key; with Host({ workers }) also load the base VM (createWasm).
   * Throws PluginLoadError naming `pluginName`.
   */
  static create(host: VmSetHost, key: string, vmId: string, bytes: Uint8Array, vmConfig: Uint8Array,
    environment: Record<string, string>, pluginName: string): VmSet {
    let set: VmSet;
    try {
      set = new VmSet(host, key, vmId, compileModule(bytes), vmConfig, environment, host.workerCount);
      if (host.modelsCanary) set.base = set.newVm(BASE_VM);
    } catch (err) {
      throw loadFailure(host, err, pluginName);
    }
    return set;
  }

  /** A new VM instance of this module (base, canary or worker clone), initialised. Throws VmLoadError. */
  newVm(worker: number): Vm {
    const vm = new Vm(this.host, buildImports, this.vmId, this.key, this.compiled.bytes, this.vmConfig, this.environment, worker);
    vm.load(this.compiled);
    return vm;
  }

  /** Without `workers`: one VM per VM key, replaced when it failed. */
  startOnSingleVm(plugin: PluginInfo): PluginInstance {
    let vm = this.workers[0];
    const fresh = !vm || vm.failed;
    if (!vm || vm.failed) {
      try { vm = this.newVm(0); } catch (err) { throw loadFailure(this.host, err, plugin.name); }
    }
    const root = this.startPlugin(plugin, vm, CANARY_FAILURES);
    if (fresh) this.workers[0] = vm;
    vm.plugins.push(plugin);
    return { vm, root };
  }

  /** WasmHandleBase::canary: start + configure the plugin on a throw-away clone; cached per plugin key. */
  runCanary(plugin: PluginInfo): void {
    const cached = this.canaryResults.get(plugin.key);
    if (cached !== undefined) {
      if (cached !== null) throw new PluginLoadError(cached, plugin.name);
      return;
    }
    let canary: Vm;
    try { canary = this.newVm(CANARY_VM); } catch (err) { throw loadFailure(this.host, err, plugin.name); }
    try {
      this.startPlugin(plugin, canary, CANARY_FAILURES);
      this.canaryResults.set(plugin.key, null);
    } catch (err) {
      this.canaryResults.set(plugin.key, (err as Error).message);
      throw err;
    } finally {
      canary.kill();
    }
  }

  /**
   * getOrCreateThreadLocalPlugin: the worker's VM for this key (a new clone if none or it failed), then
   * start + configure. A failure leaves the plugin absent on that worker (null) and is logged.
   */
  startOnWorker(plugin: PluginInfo, worker: number): PluginInstance | null {
    let vm = this.workers[worker];
    if (!vm || vm.failed) {
      try {
        vm = this.newVm(worker);
      } catch (err) {
        this.host.logSink.hostLog("error", `Wasm VM failed Failed to initialize Wasm code: ${errorMessage(err)}`);
        return null;
      }
      this.workers[worker] = vm;
    }
    try {
      const root = this.startPlugin(plugin, vm, WORKER_FAILURES);
      vm.plugins.push(plugin);
      return { vm, root };
    } catch {
      return null;
    }
  }

  /** Root context creation, on_vm_start, on_configure (cpp-host ContextBase::onStart/onConfigure). */
  private startPlugin(plugin: PluginInfo, vm: Vm, failures: { start: string; configure: string }): VmContext {
    const root = vm.newContext(0, plugin, null);
    const fail = (reason: string): never => {
      vm.contexts.delete(root.id);
      this.host.clock.removeAll(root);
      this.host.logSink.hostLog("error", `Wasm VM failed ${reason}`);
      throw new PluginLoadError(reason, plugin.name);
    };
    if (vm.onContextCreate) {
      root.configuring = true;
      vm.invoke(root, "proxy_on_context_create", vm.onContextCreate, root.id, 0);
      root.configuring = false;
    }
    root.createdInVm = true;
    // Only the callbacks' return values decide (a trap returns 0). A VM that failed without on_vm_start itself
    // trapping — its allocator trapped under a host call — still starts, and a failed VM counts as configured
    // (cpp-host ContextBase::onConfigure returns true when isFailed()): the plugin loads and its streams meet the
    // failure policy. Seen in Envoy 1.36.2 and 1.40.0 (test/e2e/failure.test.ts).
    let ok = 1;
    if (!vm.failed && vm.onVmStart) ok = vm.invoke(root, "proxy_on_vm_start", vm.onVmStart, root.id, vm.vmConfig.length);
    vm.afterCall();
    if (!ok) fail(failures.start);
    if (!vm.failed && vm.onConfigure) {
      root.configuring = true;
      ok = vm.invoke(root, "proxy_on_configure", vm.onConfigure, root.id, plugin.configuration.length);
      root.configuring = false;
      vm.afterCall();
      if (!ok) fail(failures.configure);
    }
    return root;
  }

  /** FAIL_RELOAD without workers: start the plugin again (on a fresh VM if its VM failed); null on failure. */
  restartOnSingleVm(plugin: PluginInfo): PluginInstance | null {
    try { return this.startOnSingleVm(plugin); } catch { return null; }
  }
}

// One Wasm VM instance as proxy-wasm-cpp-host/Envoy runs it: instantiation of a compiled module
// (compiled-module.ts does the load/link checks), init conventions (src/wasm.cc startVm), allocator lookup
// (src/wasm.cc getFunctions: malloc first, then proxy_on_memory_allocate), restricted callback phases, per-VM
// context ids (root ids from 1; 0 is the VM context) and after-VM-call actions. Each VM has its own linear
// memory; Envoy runs one per worker thread plus a base VM and a discarded canary (vm-set.ts).
import type { HostOptions, HttpCallRequest, GrpcCallRequest } from "./types.ts";
import type { LogSink } from "./logs.ts";
import type { VirtualClock } from "./timers.ts";
import type { SharedData } from "./shared-data.ts";
import type { SharedQueues } from "./shared-queue.ts";
import type { Callouts } from "./callouts.ts";
import type { StatsStore } from "./stats/index.ts";
import type { HostCallCounts } from "./host-call-counts.ts";
import type { ForeignFunction } from "./foreign-functions.ts";
import { Context, type PluginInfo } from "./context.ts";

/** A context created by a Vm: its `vm` is the full Vm. */
export type VmContext = Context<Vm>;

/** What a VM and its hostcalls use of the host (host.ts implements it). */
export interface VmHost {
  readonly options: HostOptions;
  readonly logSink: LogSink;
  readonly stats: StatsStore;
  readonly clock: VirtualClock<VmContext>;
  readonly sharedData: SharedData;
  readonly sharedQueues: SharedQueues<VmContext>;
  readonly callouts: Callouts<VmContext>;
  readonly foreignFunctions: Map<string, ForeignFunction>;
  readonly hostCalls: HostCallCounts | null;
  /** Tokens handed out by envoy_resolve_dns. */
  dnsTokens: number;
  nextVmSerial(): number;
  recordTrap(vm: Vm, ctx: VmContext, callback: string, message: string): void;
  hasCluster(name: string): boolean;
  startHttpCall(root: VmContext, request: HttpCallRequest): void;
  startGrpcCall(root: VmContext, request: GrpcCallRequest, stream: boolean): void;
  cancelGrpc(vm: Vm, token: number, close: boolean): number;
  postQueueReady(root: VmContext, token: number): void;
  deleteRootContext(root: VmContext): void;
}

/** Builds the import object a module is instantiated with (hostcalls.ts; injected so vm.ts does not import it). */
export type ImportsBuilder = (vm: Vm) => Record<string, Record<string, unknown>>;
import { WasmMemory } from "./memory.ts";
import { INIT_ALLOWED, MALLOC_ALLOWED, type AbiVersion } from "./imports.ts";
import { MetricIds } from "./metrics.ts";
import { VmLoadError, type CompiledModule } from "./compiled-module.ts";

export { VmLoadError };

/** Vm.worker values for the VMs that serve no worker thread. */
export const BASE_VM = -2;
export const CANARY_VM = -1;

type Fn = (...args: number[]) => number;

export class Vm {
  readonly host: VmHost;
  readonly vmId: string;
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly vmConfig: Uint8Array;
  readonly environment: Record<string, string>;
  /** Worker index, or BASE_VM / CANARY_VM. */
  readonly worker: number;
  /** Host-unique number (callout bookkeeping keys calls by VM and token). */
  readonly serial: number;
  abi: AbiVersion = "0.2.1";
  readonly mem = new WasmMemory();
  readonly metrics = new MetricIds();
  readonly contexts = new Map<number, VmContext>();
  readonly vmContext: VmContext;
  private nextContextId = 1;
  nextHttpCallId = 0;
  nextGrpcCallId = 1;
  nextGrpcStreamId = 2;

  /** VmContext of the running callback (proxy_wasm::current_context_). */
  current: VmContext | null = null;
  /** set_effective_context target for the rest of the current VM call. */
  effective: VmContext | null = null;
  restricted: Set<string> | null = null;
  /** The last host call refused by `restricted` (module.name), for the load error's hint. */
  restrictedCall: string | null = null;
  stopNextIteration = false;
  private afterActions: Array<() => void> = [];
  private drainingActions = false;

  failed = false;
  failMessage = "";
  plugins: PluginInfo[] = [];

  // Module exports.
  exports: Record<string, any> = {};
  malloc: Fn | null = null;
  /** The export serving as allocator, as trap messages name it. */
  mallocName = "malloc";
  onContextCreate: Fn | null = null;
  onVmStart: Fn | null = null;
  onConfigure: Fn | null = null;
  onTick: Fn | null = null;
  onNewConnection: Fn | null = null;
  onDownstreamData: Fn | null = null;
  onUpstreamData: Fn | null = null;
  onDownstreamConnectionClose: Fn | null = null;
  onUpstreamConnectionClose: Fn | null = null;
  onRequestHeaders: Fn | null = null;
  onRequestBody: Fn | null = null;
  onRequestTrailers: Fn | null = null;
  onResponseHeaders: Fn | null = null;
  onResponseBody: Fn | null = null;
  onResponseTrailers: Fn | null = null;
  onHttpCallResponse: Fn | null = null;
  onGrpcReceiveInitialMetadata: Fn | null = null;
  onGrpcReceive: Fn | null = null;
  onGrpcReceiveTrailingMetadata: Fn | null = null;
  onGrpcClose: Fn | null = null;
  onQueueReady: Fn | null = null;
  onForeignFunction: Fn | null = null;
  onDone: Fn | null = null;
  onLog: Fn | null = null;
  onDelete: Fn | null = null;

  constructor(host: VmHost, private readonly buildImports: ImportsBuilder, vmId: string, key: string, bytes: Uint8Array,
    vmConfig: Uint8Array, environment: Record<string, string>, worker = 0) {
    this.host = host;
    this.worker = worker;
    this.serial = host.nextVmSerial();
    this.vmId = vmId;
    this.key = key;
    this.bytes = bytes;
    this.vmConfig = vmConfig;
    this.environment = environment;
    this.vmContext = new Context(this, 0, 0, null, null);
    this.contexts.set(0, this.vmContext);
  }

  /** Instantiate a compiled (already checked) module and run the init functions. */
  load(compiled: CompiledModule): void {
    this.abi = compiled.abi;
    const importObject: Record<string, Record<string, unknown>> = this.buildImports(this);
    let importedMemory: WebAssembly.Memory | null = null;
    for (const imp of compiled.shape.imports) {
      if (imp.kind === 2) {
        importedMemory = new WebAssembly.Memory({ initial: imp.minPages ?? 1 });
        (importObject[imp.module] ??= {})[imp.name] = importedMemory;
      } else if (imp.kind === 1) {
        (importObject[imp.module] ??= {})[imp.name] = new WebAssembly.Table({ initial: 0, element: "anyfunc" });
      }
    }

    // Instantiation runs a start section, if any, with no context and restricted hostcalls.
    this.restricted = INIT_ALLOWED;
    this.restrictedCall = null;
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(compiled.module, importObject as WebAssembly.Imports);
    } catch (err) {
      this.restricted = null;
      if (err instanceof WebAssembly.LinkError) throw new VmLoadError(`Failed to load Wasm module: ${err.message}`);
      // Envoy 1.36.2 and 1.40.0 crash (SIGSEGV) when a start section's host call is refused (test/e2e/failure.test.ts).
      if (err instanceof Error && err.message === "restricted_callback") {
        throw new VmLoadError(`Envoy crashes (segmentation fault) instantiating a module whose start section calls a host function: ${err.message}`);
      }
      throw new VmLoadError(`Failed to create new Wasm instance: ${(err as Error).message}`);
    }
    const ex = instance.exports as Record<string, any>;
    this.exports = ex;
    const memory = (ex.memory as WebAssembly.Memory | undefined) ?? importedMemory;
    if (!memory) throw new VmLoadError("Wasm module is missing the memory export");
    this.mem.attach(memory);

    // Allocator: malloc wins over proxy_on_memory_allocate (src/wasm.cc getFunctions).
    this.malloc = (ex.malloc ?? ex.proxy_on_memory_allocate ?? null) as Fn | null;
    this.mallocName = ex.malloc ? "malloc" : "proxy_on_memory_allocate";
    if (!this.malloc) throw new VmLoadError("Wasm module is missing malloc function.");
    const f = (name: string) => (typeof ex[name] === "function" ? (ex[name] as Fn) : null);
    this.onContextCreate = f("proxy_on_context_create");
    this.onVmStart = f("proxy_on_vm_start");
    this.onConfigure = f("proxy_on_configure");
    this.onTick = f("proxy_on_tick");
    this.onNewConnection = f("proxy_on_new_connection");
    this.onDownstreamData = f("proxy_on_downstream_data");
    this.onUpstreamData = f("proxy_on_upstream_data");
    this.onDownstreamConnectionClose = f("proxy_on_downstream_connection_close");
    this.onUpstreamConnectionClose = f("proxy_on_upstream_connection_close");
    this.onRequestHeaders = f("proxy_on_request_headers");
    this.onRequestBody = f("proxy_on_request_body");
    this.onRequestTrailers = f("proxy_on_request_trailers");
    this.onResponseHeaders = f("proxy_on_response_headers");
    this.onResponseBody = f("proxy_on_response_body");
    this.onResponseTrailers = f("proxy_on_response_trailers");
    this.onHttpCallResponse = f("proxy_on_http_call_response");
    this.onGrpcReceiveInitialMetadata = f("proxy_on_grpc_receive_initial_metadata");
    this.onGrpcReceive = f("proxy_on_grpc_receive");
    this.onGrpcReceiveTrailingMetadata = f("proxy_on_grpc_receive_trailing_metadata");
    this.onGrpcClose = f("proxy_on_grpc_close");
    this.onQueueReady = f("proxy_on_queue_ready");
    this.onForeignFunction = compiled.abi === "0.1.0" ? null : f("proxy_on_foreign_function");
    this.onDone = f("proxy_on_done");
    this.onLog = f("proxy_on_log");
    this.onDelete = f("proxy_on_delete");

    // WASI reactor: _initialize then main(0,0) or __main_void(); WASI command: _start (src/wasm.cc startVm).
    const init = f("_initialize");
    const startFn = f("_start");
    try {
      this.current = this.vmContext;
      if (init) {
        init();
        const main = f("main");
        const mainVoid = f("__main_void");
        if (main) main(0, 0);
        else if (mainVoid) mainVoid();
      } else if (startFn) {
        startFn();
      }
    } catch (err) {
      this.failed = true;
      const fn = init ? "_initialize" : "_start";
      // First line as Envoy logs it (V8 reports the host's refusal as "Uncaught Error: restricted_callback", seen
      // from Envoy 1.40.0); then, for a refused host call, which one and where it belongs.
      const reason = trapMessage(err);
      const hint = this.restrictedCall === null ? "" :
        `\nhint: ${fn} (the module's top-level code) called ${this.restrictedCall}, which Envoy allows only once the ` +
        "plugin has a context: move it into a callback such as onConfigure (RootContext)";
      throw new VmLoadError(`Function: ${fn} failed: ${reason}${hint}`);
    } finally {
      this.current = null;
      this.restricted = null;
    }
  }

  allocContextId(): number { return this.nextContextId++; }

  /**
   * WasmHandleBase::kill (the canary): the VM is dropped without on_done/on_delete; its timers and pending
   * callouts go with its contexts.
   */
  kill(): void {
    for (const ctx of this.contexts.values()) this.host.clock.removeAll(ctx);
    this.host.callouts.dropVm(this);
    this.contexts.clear();
  }

  newContext(parentId: number, plugin: PluginInfo, root: VmContext | null): VmContext {
    const ctx = new Context(this, this.allocContextId(), parentId, plugin, root);
    this.contexts.set(ctx.id, ctx);
    return ctx;
  }

  /** Call an export on behalf of a context. A trap marks the VM failed and returns 0. */
  invoke(ctx: VmContext, name: string, fn: Fn, a = 0, b = 0, c = 0, d = 0, e = 0): number {
    const prev = this.current, prevEff = this.effective;
    this.current = ctx;
    this.effective = ctx;
    let r = 0;
    try {
      r = fn(a, b, c, d, e);
    } catch (err) {
      this.fail(name, ctx, err);
      r = 0;
    } finally {
      this.current = prev;
      this.effective = prevEff;
    }
    return r;
  }

  fail(name: string, ctx: VmContext, err: unknown): void {
    const message = `Function: ${name} failed: ${trapMessage(err)}`;
    if (!this.failed) {
      this.failed = true;
      this.failMessage = message;
    }
    this.host.recordTrap(this, ctx, name, message);
  }

  addAfterAction(action: () => void): void { this.afterActions.push(action); }

  /** cpp-host DeferAfterCallActions: reset stopNextIteration and run the queued actions. */
  afterCall(): void {
    this.stopNextIteration = false;
    if (this.afterActions.length === 0 || this.drainingActions) return;
    this.drainingActions = true;
    try {
      while (this.afterActions.length) this.afterActions.shift()!();
    } finally {
      this.drainingActions = false;
    }
  }

  /** The context hostcalls act on: the effective context if one was set. */
  get active(): VmContext {
    return this.effective ?? this.current ?? this.vmContext;
  }

  /**
   * Allocate in module memory through its allocator (restricted phase); 0 on failure. The allocator is a call of
   * its own, as in cpp-host WasmBase::allocMemory: a trap in it fails the VM as "Function: malloc failed: …" and the
   * host call that wanted the memory returns an error to the callback, which goes on running.
   */
  alloc(size: number): number {
    if (this.failed) return 0;
    const prev = this.restricted;
    this.restricted = MALLOC_ALLOWED;
    let p = 0;
    try {
      p = this.malloc!(size) >>> 0;
    } catch (err) {
      this.fail(this.mallocName, this.active, err);
      p = 0;
    } finally {
      this.restricted = prev;
    }
    this.mem.refresh();
    return p;
  }

  /** copyToPointerSize: empty → (0, 0); else malloc + copy. False → InvalidMemoryAccess. */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let p = 0;
    if (data.length > 0) {
      p = this.alloc(data.length);
      if (p === 0 || !this.mem.write(p, data)) return false;
    }
    return this.mem.writeU32(ptrPtr, p) && this.mem.writeU32(sizePtr, data.length);
  }
}

/**
 * A trap as Envoy's V8 reports it: the uncaught exception's message, "Uncaught <name>: <message>" ("Uncaught
 * RuntimeError: unreachable" for a Wasm trap, "Uncaught Error: restricted_callback" for a host call refused in a
 * restricted phase), seen in Envoy 1.36.2 and 1.40.0 (test/e2e/failure.test.ts).
 */
export function trapMessage(err: unknown): string {
  if (err instanceof Error) return `Uncaught ${err.name === "RuntimeError" || err instanceof WebAssembly.RuntimeError ? "RuntimeError" : "Error"}: ${err.message}`;
  return String(err);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

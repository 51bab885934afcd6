// One Wasm VM as proxy-wasm-cpp-host/Envoy runs it: load + link checks (src/wasm.cc load, src/v8/v8.cc link,
// getModuleFunctionImpl), ABI detection (src/bytecode_util.cc), init conventions (src/wasm.cc startVm),
// allocator lookup (src/wasm.cc getFunctions: malloc first, then proxy_on_memory_allocate), restricted
// callback phases, per-VM context ids (root ids from 1; 0 is the VM context) and after-VM-call actions.
import type { Host } from "./host.ts";
import type { Plugin } from "./plugin.ts";
import { Context } from "./context.ts";
import { WasmMemory } from "./memory.ts";
import { readModuleShape, type FuncSig } from "./wasm-binary.ts";
import { envoyImportSignatures, INIT_ALLOWED, MALLOC_ALLOWED, type AbiVersion } from "./imports.ts";
import { buildImports } from "./hostcalls.ts";
import { MetricIds } from "./metrics.ts";

export class VmLoadError extends Error {}

const I = "i32";
const s = (params: string[], results: string | null) => ({ params: params.length ? params.join(" ") : "void", results: results ?? "void" });
const n = (k: number) => new Array<string>(k).fill(I);

/** Exports the host looks up, with the exact signature it requires (include/proxy-wasm/wasm.h). */
function exportSignatures(abi: AbiVersion): Record<string, FuncSig> {
  const sigs: Record<string, FuncSig> = {
    _initialize: s([], null), _start: s([], null), main: s(n(2), I), __main_void: s([], I),
    malloc: s(n(1), I), proxy_on_memory_allocate: s(n(1), I),
    proxy_on_context_create: s(n(2), null), proxy_on_vm_start: s(n(2), I), proxy_on_configure: s(n(2), I),
    proxy_validate_configuration: s(n(2), I), proxy_on_tick: s(n(1), null),
    proxy_on_new_connection: s(n(1), I), proxy_on_downstream_data: s(n(3), I), proxy_on_upstream_data: s(n(3), I),
    proxy_on_downstream_connection_close: s(n(2), null), proxy_on_upstream_connection_close: s(n(2), null),
    proxy_on_request_headers: abi === "0.1.0" ? s(n(2), I) : s(n(3), I),
    proxy_on_request_body: s(n(3), I), proxy_on_request_trailers: s(n(2), I), proxy_on_request_metadata: s(n(2), I),
    proxy_on_response_headers: abi === "0.1.0" ? s(n(2), I) : s(n(3), I),
    proxy_on_response_body: s(n(3), I), proxy_on_response_trailers: s(n(2), I), proxy_on_response_metadata: s(n(2), I),
    proxy_on_http_call_response: s(n(5), null),
    proxy_on_grpc_receive_initial_metadata: s(n(3), null), proxy_on_grpc_receive: s(n(3), null),
    proxy_on_grpc_receive_trailing_metadata: s(n(3), null), proxy_on_grpc_close: s(n(3), null),
    proxy_on_queue_ready: s(n(2), null), proxy_on_done: s(n(1), I), proxy_on_log: s(n(1), null),
    proxy_on_delete: s(n(1), null), envoy_on_resolve_dns: s(n(3), null), envoy_on_stats_update: s(n(2), null),
  };
  if (abi !== "0.1.0") sigs.proxy_on_foreign_function = s(n(3), null);
  return sigs;
}

type Fn = (...args: number[]) => number;

export class Vm {
  readonly host: Host;
  readonly vmId: string;
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly vmConfig: Uint8Array;
  readonly environment: Record<string, string>;
  abi: AbiVersion = "0.2.1";
  readonly mem = new WasmMemory();
  readonly metrics = new MetricIds();
  readonly contexts = new Map<number, Context>();
  readonly vmContext: Context;
  private nextContextId = 1;
  nextHttpCallId = 0;
  nextGrpcCallId = 1;
  nextGrpcStreamId = 2;

  /** Context of the running callback (proxy_wasm::current_context_). */
  current: Context | null = null;
  /** set_effective_context target for the rest of the current VM call. */
  effective: Context | null = null;
  restricted: Set<string> | null = null;
  stopNextIteration = false;
  private afterActions: Array<() => void> = [];
  private drainingActions = false;

  failed = false;
  failMessage = "";
  plugins: Plugin[] = [];

  // Module exports.
  exports: Record<string, any> = {};
  malloc: Fn | null = null;
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

  constructor(host: Host, vmId: string, key: string, bytes: Uint8Array, vmConfig: Uint8Array, environment: Record<string, string>) {
    this.host = host;
    this.vmId = vmId;
    this.key = key;
    this.bytes = bytes;
    this.vmConfig = vmConfig;
    this.environment = environment;
    this.vmContext = new Context(this, 0, 0, null, null);
    this.contexts.set(0, this.vmContext);
  }

  /** Compile, check imports/exports like Envoy's loader, instantiate and run the init functions. */
  load(): void {
    const bytes = this.bytes;
    if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
      throw new VmLoadError("Failed to parse corrupted Wasm module");
    }
    let module: WebAssembly.Module;
    let shape;
    try {
      module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
      shape = readModuleShape(bytes);
    } catch {
      throw new VmLoadError("Failed to parse corrupted Wasm module");
    }
    // First ABI marker function in export order wins (src/bytecode_util.cc getAbiVersion).
    let abi: AbiVersion | null = null;
    for (const e of shape.exports) {
      if (e.kind !== 0) continue;
      if (e.name === "proxy_abi_version_0_1_0") abi = "0.1.0";
      else if (e.name === "proxy_abi_version_0_2_0") abi = "0.2.0";
      else if (e.name === "proxy_abi_version_0_2_1") abi = "0.2.1";
      if (abi) break;
    }
    if (!abi) throw new VmLoadError("Missing or unknown Proxy-Wasm ABI version");
    this.abi = abi;

    // Link: every import must be registered with the same signature (src/v8/v8.cc link).
    const registered = envoyImportSignatures(abi);
    const importObject: Record<string, Record<string, unknown>> = buildImports(this);
    let importedMemory: WebAssembly.Memory | null = null;
    for (const imp of shape.imports) {
      const full = `${imp.module}.${imp.name}`;
      if (imp.kind === 0) {
        const want = registered.get(full);
        if (!want) throw new VmLoadError(`Failed to load Wasm module due to a missing import: ${full}`);
        if (!imp.sig || want.params !== imp.sig.params || want.results !== imp.sig.results) {
          throw new VmLoadError(
            `Failed to load Wasm module due to an import type mismatch: ${full}, want: ${imp.sig?.params} -> ${imp.sig?.results}, but host exports: ${want.params} -> ${want.results}`,
          );
        }
      } else if (imp.kind === 3) {
        throw new VmLoadError(`Failed to load Wasm module due to a missing import: ${full}`);
      } else if (imp.kind === 2) {
        importedMemory = new WebAssembly.Memory({ initial: imp.minPages ?? 1 });
        (importObject[imp.module] ??= {})[imp.name] = importedMemory;
      } else if (imp.kind === 1) {
        (importObject[imp.module] ??= {})[imp.name] = new WebAssembly.Table({ initial: 0, element: "anyfunc" });
      }
    }

    // Export signatures (src/v8/v8.cc getModuleFunctionImpl → "Bad function signature for: ...").
    const sigs = exportSignatures(abi);
    for (const e of shape.exports) {
      if (e.kind !== 0 || !e.sig) continue;
      const want = sigs[e.name];
      if (want && (want.params !== e.sig.params || want.results !== e.sig.results)) {
        throw new VmLoadError(
          `Bad function signature for: ${e.name}, want: ${want.params} -> ${want.results}, but the module exports: ${e.sig.params} -> ${e.sig.results}`,
        );
      }
    }

    // Instantiation runs a start section, if any, with no context and restricted hostcalls.
    this.restricted = INIT_ALLOWED;
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(module, importObject as WebAssembly.Imports);
    } catch (err) {
      this.restricted = null;
      if (err instanceof WebAssembly.LinkError) throw new VmLoadError(`Failed to load Wasm module: ${err.message}`);
      throw new VmLoadError(`Failed to create new Wasm instance: ${(err as Error).message}`);
    }
    const ex = instance.exports as Record<string, any>;
    this.exports = ex;
    const memory = (ex.memory as WebAssembly.Memory | undefined) ?? importedMemory;
    if (!memory) throw new VmLoadError("Wasm module is missing the memory export");
    this.mem.attach(memory);

    // Allocator: malloc wins over proxy_on_memory_allocate (src/wasm.cc getFunctions).
    this.malloc = (ex.malloc ?? ex.proxy_on_memory_allocate ?? null) as Fn | null;
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
    this.onForeignFunction = abi === "0.1.0" ? null : f("proxy_on_foreign_function");
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
      throw new VmLoadError(`Function: ${init ? "_initialize" : "_start"} failed: ${errorMessage(err)}`);
    } finally {
      this.current = null;
      this.restricted = null;
    }
  }

  allocContextId(): number { return this.nextContextId++; }

  newContext(parentId: number, plugin: Plugin, root: Context | null): Context {
    const ctx = new Context(this, this.allocContextId(), parentId, plugin, root);
    this.contexts.set(ctx.id, ctx);
    return ctx;
  }

  /** Call an export on behalf of a context. A trap marks the VM failed and returns 0. */
  invoke(ctx: Context, name: string, fn: Fn, a = 0, b = 0, c = 0, d = 0, e = 0): number {
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

  fail(name: string, ctx: Context, err: unknown): void {
    const message = `Function: ${name} failed: ${errorMessage(err)}`;
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
  get active(): Context {
    return this.effective ?? this.current ?? this.vmContext;
  }

  /** Allocate in module memory through its allocator (restricted phase); null on failure. */
  alloc(size: number): number {
    const prev = this.restricted;
    this.restricted = MALLOC_ALLOWED;
    let p = 0;
    try {
      p = this.malloc!(size) >>> 0;
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

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

// The emulated Envoy process: VMs (shared by vm_id + code + vm configuration, proxy-wasm-cpp-host
// src/wasm.cc makeVmKey), plugins and their root contexts, the dispatcher that delivers asynchronous events
// (callout responses, queue notifications, ticks), and process-wide state (stats, shared data, queues, logs).
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import type {
  CapturedLog, ForeignFunction, GrpcCallRequest, GrpcCallResponder, HostOptions, HttpCallRequest,
  HttpCallResponder, HttpCallResponse, GrpcCallResponse, HttpStreamOptions, PluginOptions, TcpConnectionOptions, TrapRecord,
} from "./index.ts";
import { Vm, VmLoadError, errorMessage } from "./vm.ts";
import { Plugin, PluginLoadError } from "./plugin.ts";
import type { Context } from "./context.ts";
import { HttpStream } from "./http-stream.ts";
import { TcpConnection } from "./tcp-connection.ts";
import { LogSink } from "./logs.ts";
import { VirtualClock } from "./timers.ts";
import { SharedData } from "./shared-data.ts";
import { SharedQueues } from "./shared-queue.ts";
import { Callouts } from "./callouts.ts";
import { HeaderMap } from "./header-map.ts";
import { builtinForeignFunctions } from "./foreign-functions.ts";
import { toBytes } from "./memory.ts";
import { WasmResult } from "./constants.ts";
import { StatsStore, renderPrometheus, WASM_CUSTOM_STAT_NAMESPACE, type HistogramStatistics } from "./stats/index.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export class Host {
  readonly options: HostOptions;
  readonly logSink: LogSink;
  readonly traps: TrapRecord[] = [];
  readonly stats = new StatsStore();
  readonly clock: VirtualClock;
  readonly sharedData = new SharedData();
  readonly sharedQueues = new SharedQueues();
  readonly callouts = new Callouts();
  readonly foreignFunctions: Map<string, ForeignFunction> = builtinForeignFunctions();
  dnsTokens = 0;
  private readonly vms = new Map<string, Vm>();
  readonly plugins: Plugin[] = [];
  private nextConnectionId = 1;
  private httpResponder: HttpCallResponder | null = null;
  private grpcResponder: GrpcCallResponder | null = null;
  private readonly posted: Array<() => void> = [];
  private dispatching = false;

  constructor(options: HostOptions = {}) {
    this.options = options;
    this.logSink = new LogSink(options.logLevel ?? "trace", options.printLogs ?? false);
    this.clock = new VirtualClock(options.startTimeMs ?? 1_700_000_000_000);
  }

  /** Captured log lines (proxy_log, WASI stdout/stderr, VM failures). */
  get logs(): CapturedLog[] { return this.logSink.entries; }

  // ---- plugins ----

  /**
   * Load a plugin: create or reuse its VM, then create its root context and run on_context_create,
   * on_vm_start and on_configure. Throws PluginLoadError with Envoy's rejection reason.
   */
  async loadPlugin(options: PluginOptions): Promise<Plugin> {
    return this.loadPluginSync(options);
  }

  loadPluginSync(options: PluginOptions): Plugin {
    const name = options.name ?? "";
    let bytes: Uint8Array;
    try {
      bytes = typeof options.module === "string" ? new Uint8Array(readFileSync(options.module)) : options.module;
    } catch (err) {
      throw new PluginLoadError(`Failed to read Wasm module ${options.module as string}: ${errorMessage(err)}`, name);
    }
    const vmId = options.vmId ?? "";
    const vmConfig = toBytes(options.vmConfig);
    const configuration = toBytes(options.configuration);
    const key = `${vmId}\u0000${sha(vmConfig)}\u0000${sha(bytes)}`;
    const existing = this.plugins.find((p) => p.vm.key === key && !p.vm.failed && p.name === name &&
      p.rootId === (options.rootId ?? "") && Buffer.compare(p.configuration, configuration) === 0 &&
      p.listenerDirection === (options.listenerDirection ?? "UNSPECIFIED"));
    if (existing) return existing;

    let vm = this.vms.get(key);
    let fresh = false;
    if (!vm || vm.failed) {
      vm = new Vm(this, vmId, key, bytes, vmConfig, options.environment ?? {});
      try {
        vm.load();
      } catch (err) {
        const reason = err instanceof VmLoadError ? err.message : errorMessage(err);
        this.logSink.hostLog("error", `Wasm VM failed ${reason}`);
        throw new PluginLoadError(reason, name);
      }
      fresh = true;
    }
    const plugin = new Plugin(options, vm, configuration);
    try {
      this.startPlugin(plugin, vm);
    } catch (err) {
      if (fresh) { /* the canary VM is discarded */ } else vm.contexts.delete(plugin.root?.id ?? -1);
      throw err;
    }
    if (fresh) this.vms.set(key, vm);
    vm.plugins.push(plugin);
    this.plugins.push(plugin);
    this.dispatch();
    return plugin;
  }

  /** Root context creation, on_vm_start, on_configure (cpp-host ContextBase::onStart/onConfigure). */
  private startPlugin(plugin: Plugin, vm: Vm): void {
    const root = vm.newContext(0, plugin, null);
    plugin.root = root;
    const fail = (reason: string) => {
      vm.contexts.delete(root.id);
      this.logSink.hostLog("error", `Wasm VM failed ${reason}`);
      throw new PluginLoadError(reason, plugin.name);
    };
    if (vm.onContextCreate) {
      root.configuring = true;
      vm.invoke(root, "proxy_on_context_create", vm.onContextCreate, root.id, 0);
      root.configuring = false;
    }
    root.createdInVm = true;
    let ok = 1;
    if (!vm.failed && vm.onVmStart) ok = vm.invoke(root, "proxy_on_vm_start", vm.onVmStart, root.id, vm.vmConfig.length);
    vm.afterCall();
    if (vm.failed) fail(vm.failMessage);
    if (!ok) fail("Failed to start base Wasm");
    if (vm.onConfigure) {
      root.configuring = true;
      ok = vm.invoke(root, "proxy_on_configure", vm.onConfigure, root.id, plugin.configuration.length);
      root.configuring = false;
      vm.afterCall();
      if (vm.failed) fail(vm.failMessage);
      if (!ok) fail("Failed to configure base Wasm plugin");
    }
  }

  /**
   * Called when a stream/connection is created with this plugin. Returns false when the filter is not
   * installed (FAIL_OPEN after a VM failure). FAIL_RELOAD rebuilds the VM and replays start/configure.
   */
  prepareForStream(plugin: Plugin): boolean {
    if (!plugin.vm.failed) return true;
    if (plugin.failurePolicy === "FAIL_OPEN") return false;
    if (plugin.failurePolicy === "FAIL_RELOAD") this.reload(plugin.vm);
    return true;
  }

  private reload(old: Vm): void {
    const vm = new Vm(this, old.vmId, old.key, old.bytes, old.vmConfig, old.environment);
    try {
      vm.load();
      for (const p of old.plugins) { this.startPlugin(p, vm); p.vm = vm; vm.plugins.push(p); }
      this.vms.set(old.key, vm);
    } catch (err) {
      this.logSink.hostLog("error", `Wasm VM reload failed: ${errorMessage(err)}`);
    }
  }

  /** Tear down a plugin's root context: on_done; true → on_delete, false → wait for proxy_done. */
  shutdownPlugin(plugin: Plugin): void {
    const vm = plugin.vm, root = plugin.root;
    let done = 1;
    if (!vm.failed && vm.onDone) { done = vm.invoke(root, "proxy_on_done", vm.onDone, root.id); vm.afterCall(); }
    this.clock.removeAll(root);
    if (done) this.deleteRootContext(root);
    else root.pendingDone = true;
    this.dispatch();
  }

  deleteRootContext(root: Context): void {
    const vm = root.vm;
    if (!vm.failed && vm.onDelete) { vm.invoke(root, "proxy_on_delete", vm.onDelete, root.id); vm.afterCall(); }
    vm.contexts.delete(root.id);
  }

  // ---- streams ----

  /** Open an HTTP stream through the given HTTP filters (decode in order, encode in reverse). */
  httpStream(options: HttpStreamOptions): HttpStream {
    return new HttpStream(this, options, this.nextConnectionId++);
  }

  /** Open a TCP connection through the given network filters; call open() (or send data) to accept it. */
  tcpConnection(options: TcpConnectionOptions): TcpConnection {
    return new TcpConnection(this, options, this.nextConnectionId++);
  }

  // ---- metrics ----

  /** Value of a counter or gauge by full stat name (e.g. "wasmcustom.requests"), undefined if absent. */
  metric(fullName: string): number | undefined {
    const m = this.stats.find(fullName);
    if (!m || m.type === "histogram") return undefined;
    return Number(m.metric.value());
  }

  /** Histogram statistics (Envoy's default buckets) by full stat name. */
  histogram(fullName: string): HistogramStatistics | undefined {
    const m = this.stats.find(fullName);
    return m && m.type === "histogram" ? m.metric.statistics() : undefined;
  }

  /** Every counter and gauge: full name → value. */
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.stats.counters()) out[c.name] = Number(c.value());
    for (const g of this.stats.gauges()) out[g.name] = Number(g.value());
    return out;
  }

  /** Envoy's /stats/prometheus text with the host's stats_tags and the `wasmcustom` namespace. */
  prometheus(): string {
    return renderPrometheus(this.stats, {
      tagSpecifiers: this.options.statsTags ?? [],
      useAllDefaultTags: this.options.useAllDefaultTags,
      customNamespaces: [WASM_CUSTOM_STAT_NAMESPACE],
    });
  }

  // ---- time ----

  /** Advance the virtual clock, firing proxy_on_tick for due timers. */
  advanceTime(ms: number): void {
    this.clock.advance(ms, (root) => {
      const vm = root.vm;
      if (vm.failed || !vm.onTick || !vm.contexts.has(root.id)) return;
      vm.invoke(root, "proxy_on_tick", vm.onTick, root.id);
      vm.afterCall();
      this.dispatch();
    });
    this.dispatch();
  }

  /** The tick period a plugin's root context asked for (0 = none). */
  tickPeriod(plugin: Plugin): number { return this.clock.tickPeriod(plugin.root); }

  // ---- callouts ----

  onHttpCall(responder: HttpCallResponder | null): void { this.httpResponder = responder; }
  onGrpcCall(responder: GrpcCallResponder | null): void { this.grpcResponder = responder; }

  /** HTTP calls made so far (including answered ones). */
  get httpCalls(): HttpCallRequest[] { return this.callouts.httpLog; }
  get grpcCalls(): GrpcCallRequest[] { return this.callouts.grpcLog; }
  /** Calls still waiting for an answer. */
  get pendingHttpCalls(): HttpCallRequest[] { return [...this.callouts.http.values()].map((c) => c.request); }

  hasCluster(name: string): boolean {
    return this.options.clusters === undefined || this.options.clusters.includes(name);
  }

  startHttpCall(root: Context, request: HttpCallRequest): void {
    this.callouts.http.set(request.token, { root, request });
    this.callouts.httpLog.push(request);
    this.posted.push(() => {
      if (!this.callouts.http.has(request.token) || !this.httpResponder) return;
      const r = this.httpResponder(request);
      if (r !== undefined) this.respondHttpCall(request.token, r);
    });
  }

  /** Answer a pending HTTP call (delivered to the root context as Envoy's async client would). */
  respondHttpCall(token: number, response: HttpCallResponse | "reset"): void {
    const call = this.callouts.http.get(token);
    if (!call) throw new Error(`no pending http call with token ${token}`);
    this.callouts.http.delete(token);
    const root = call.root;
    const vm = root.vm;
    if (vm.failed || !vm.contexts.has(root.id)) return;
    if (response === "reset") {
      root.statusCode = WasmResult.BrokenConnection;
      root.statusMessage = "reset";
      if (vm.onHttpCallResponse) vm.invoke(root, "proxy_on_http_call_response", vm.onHttpCallResponse, root.id, token, 0, 0, 0);
      root.statusMessage = "";
      vm.afterCall();
    } else {
      const headers = new HeaderMap(response.headers);
      const trailers = response.trailers && response.trailers.length ? new HeaderMap(response.trailers) : null;
      const body = toBytes(response.body);
      root.httpCallResponse = { headers, body, trailers };
      if (vm.onHttpCallResponse) {
        vm.invoke(root, "proxy_on_http_call_response", vm.onHttpCallResponse, root.id, token, headers.size, body.length, trailers?.size ?? 0);
      }
      root.httpCallResponse = null;
      vm.afterCall();
    }
    this.dispatch();
  }

  startGrpcCall(root: Context, request: GrpcCallRequest, stream: boolean): void {
    this.callouts.grpc.set(request.token, { root, request, stream, messages: [], closedLocal: false });
    this.callouts.grpcLog.push(request);
    this.posted.push(() => {
      if (!this.callouts.grpc.has(request.token) || !this.grpcResponder) return;
      const r = this.grpcResponder(request);
      if (r !== undefined) this.respondGrpcCall(request.token, r);
    });
  }

  /** Answer a pending gRPC call or stream (initial metadata, one message, trailing metadata, close). */
  respondGrpcCall(token: number, response: GrpcCallResponse): void {
    const call = this.callouts.grpc.get(token);
    if (!call) throw new Error(`no pending grpc call with token ${token}`);
    const root = call.root;
    const vm = root.vm;
    const status = response.status ?? 0;
    const run = (name: string, fn: ((...a: number[]) => number) | null, a: number, b: number) => {
      if (vm.failed || !fn) return;
      vm.invoke(root, name, fn, root.id, a, b);
    };
    if (call.stream && response.initialMetadata) {
      root.grpcInitialMetadata = new HeaderMap(response.initialMetadata);
      run("proxy_on_grpc_receive_initial_metadata", vm.onGrpcReceiveInitialMetadata, token, root.grpcInitialMetadata.size);
      root.grpcInitialMetadata = null;
      vm.afterCall();
    }
    if (response.message !== undefined && (status === 0 || call.stream)) {
      root.grpcReceiveBuffer = toBytes(response.message);
      run("proxy_on_grpc_receive", vm.onGrpcReceive, token, root.grpcReceiveBuffer.length);
      root.grpcReceiveBuffer = null;
      vm.afterCall();
    }
    if (call.stream && response.trailingMetadata) {
      root.grpcTrailingMetadata = new HeaderMap(response.trailingMetadata);
      run("proxy_on_grpc_receive_trailing_metadata", vm.onGrpcReceiveTrailingMetadata, token, root.grpcTrailingMetadata.size);
      root.grpcTrailingMetadata = null;
      vm.afterCall();
    }
    // A unary call that succeeded ends with on_grpc_receive (onSuccessRaw); failures and streams get on_grpc_close.
    if (call.stream || status !== 0) {
      root.statusCode = status;
      root.statusMessage = response.statusMessage ?? "";
      run("proxy_on_grpc_close", vm.onGrpcClose, token, status);
      root.statusMessage = "";
      vm.afterCall();
    }
    this.callouts.grpc.delete(token);
    this.dispatch();
  }

  cancelGrpc(token: number): number {
    const type = token & 3;
    if (type !== 1 && type !== 2) return WasmResult.BadArgument;
    if (!this.callouts.grpc.has(token)) return WasmResult.NotFound;
    this.callouts.grpc.delete(token);
    return WasmResult.Ok;
  }

  // ---- queues / foreign functions ----

  postQueueReady(root: Context, token: number): void {
    this.posted.push(() => {
      const vm = root.vm;
      if (vm.failed || !vm.onQueueReady || !vm.contexts.has(root.id)) return;
      vm.invoke(root, "proxy_on_queue_ready", vm.onQueueReady, root.id, token);
      vm.afterCall();
    });
  }

  /** Register (or replace) a foreign function callable via proxy_call_foreign_function. */
  registerForeignFunction(name: string, fn: ForeignFunction): void { this.foreignFunctions.set(name, fn); }

  /** Enqueue bytes on a shared queue from the test (like another VM would); false if unknown. */
  enqueueSharedQueue(vmId: string, name: string, data: Uint8Array | string): boolean {
    const token = this.sharedQueues.resolve(vmId, name);
    if (!token) return false;
    const r = this.sharedQueues.enqueue(token, toBytes(data));
    if (r.target) this.postQueueReady(r.target, token);
    this.dispatch();
    return true;
  }

  // ---- dispatcher ----

  /** Run posted events (callout answers, queue notifications) until none are left. */
  dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      let guard = 0;
      while (this.posted.length) {
        if (++guard > 100_000) throw new Error("dispatcher loop: too many posted events");
        this.posted.shift()!();
      }
    } finally {
      this.dispatching = false;
    }
  }

  // ---- failures ----

  recordTrap(vm: Vm, ctx: Context, callback: string, message: string): void {
    this.traps.push({ plugin: ctx.plugin?.name ?? "", vmId: vm.vmId, callback, contextId: ctx.id, message });
    this.logSink.hostLog("error", `Wasm VM failed ${message}`);
  }
}

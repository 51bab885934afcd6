// The emulated Envoy process: VM sets (one per VM key = vm_id + vm configuration + code, proxy-wasm-cpp-host
// src/wasm.cc makeVmKey; see vm-set.ts for base/canary/worker VMs), plugins and their root contexts, the
// dispatcher that delivers asynchronous events (callout responses, queue notifications, ticks), and
// process-wide state shared by every VM (stats, shared data, shared queues, logs).
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import type {
  CapturedLog, GrpcCallRequest, GrpcCallResponder, HostOptions, HttpCallRequest,
  HttpCallResponder, HttpCallResponse, GrpcCallResponse, PluginOptions, TrapRecord,
} from "./types.ts";
import { type Vm, type VmContext, errorMessage } from "./vm.ts";
import { VmSet } from "./vm-set.ts";
import { Plugin } from "./plugin.ts";
import { PluginLoadError } from "./plugin-load-error.ts";
import type { PluginInstance, VmSetHost } from "./vm-set.ts";
import type { StreamHost } from "./stream-host.ts";
import { onStreamCreationAfterFailure } from "./failure.ts";
import { HttpStream, type HttpStreamOptions } from "./http-stream.ts";
import { TcpConnection, type TcpConnectionOptions } from "./tcp-connection.ts";
import { LogSink } from "./logs.ts";
import { VirtualClock } from "./timers.ts";
import { SharedData } from "./shared-data.ts";
import { SharedQueues } from "./shared-queue.ts";
import { Callouts } from "./callouts.ts";
import { HeaderMap } from "./header-map.ts";
import { HostCallCounts } from "./host-call-counts.ts";
import { builtinForeignFunctions, type ForeignFunction } from "./foreign-functions.ts";
import { toBytes } from "./memory.ts";
import { WasmResult } from "./constants.ts";
import { StatsStore, renderPrometheus, WASM_CUSTOM_STAT_NAMESPACE, type HistogramStatistics } from "./stats/index.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export class Host implements VmSetHost, StreamHost {
  readonly options: HostOptions;
  readonly logSink: LogSink;
  readonly traps: TrapRecord[] = [];
  readonly stats = new StatsStore();
  readonly clock: VirtualClock<VmContext>;
  readonly sharedData = new SharedData();
  readonly sharedQueues = new SharedQueues<VmContext>();
  readonly callouts = new Callouts<VmContext>();
  readonly foreignFunctions: Map<string, ForeignFunction> = builtinForeignFunctions();
  /** Host calls by import name, when created with { countHostCalls: true }; else null. */
  readonly hostCalls: HostCallCounts | null;
  /** Number of worker threads; each runs its own VM per VM key. */
  readonly workerCount: number;
  /** Model Envoy's base VM and configuration canary (only when `workers` is given). */
  readonly modelsCanary: boolean;
  dnsTokens = 0;
  private readonly vmSets = new Map<string, VmSet>();
  readonly plugins: Plugin[] = [];
  private nextConnectionId = 1;
  private nextWorker = 0;
  private vmSerial = 0;
  private httpResponder: HttpCallResponder | null = null;
  private grpcResponder: GrpcCallResponder | null = null;
  private readonly posted: Array<() => void> = [];
  private dispatching = false;

  constructor(options: HostOptions = {}) {
    this.options = options;
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
    this.workerCount = workers;
    this.modelsCanary = options.workers !== undefined;
    this.logSink = new LogSink(options.logLevel ?? "trace", options.printLogs ?? false, this.modelsCanary);
    this.clock = new VirtualClock<VmContext>(options.startTimeMs ?? 1_700_000_000_000);
    this.hostCalls = options.countHostCalls ? new HostCallCounts() : null;
  }

  /** Captured log lines (proxy_log, WASI stdout/stderr, VM failures). */
  get logs(): CapturedLog[] { return this.logSink.entries; }

  nextVmSerial(): number { return ++this.vmSerial; }

  // ---- plugins ----

  /**
   * Load a plugin: create or reuse its VMs, then create its root context and run on_context_create,
   * on_vm_start and on_configure (with `workers`: on a canary, then on every worker's VM).
   * Throws PluginLoadError with Envoy's rejection reason.
   */
  async loadPlugin(options: PluginOptions): Promise<Plugin> {
    return this.loadPluginSync(options);
  }

  loadPluginSync(options: PluginOptions): Plugin {
    const name = options.name ?? "";
    if (options.failOpen && options.failurePolicy !== undefined) {
      throw new PluginLoadError("only one of fail_open or failure_policy can be set", name);
    }
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
    const existing = this.plugins.find((p) => p.vmSet.key === key && !p.failed && p.name === name &&
      p.rootId === (options.rootId ?? "") && Buffer.compare(p.configuration, configuration) === 0 &&
      p.listenerDirection === (options.listenerDirection ?? "UNSPECIFIED"));
    if (existing) return existing;

    let set = this.vmSets.get(key);
    const freshSet = !set;
    set ??= VmSet.create(this, key, vmId, bytes, vmConfig, options.environment ?? {}, name);
    const plugin = new Plugin(options, set, configuration, this.hostCalls !== null);
    if (this.modelsCanary) {
      set.runCanary(plugin);
      if (freshSet) this.vmSets.set(key, set);
      for (let w = 0; w < this.workerCount; w++) plugin.instances[w] = set.startOnWorker(plugin, w);
    } else {
      plugin.instances[0] = set.startOnSingleVm(plugin);
      if (freshSet) this.vmSets.set(key, set);
    }
    this.plugins.push(plugin);
    this.dispatch();
    return plugin;
  }

  /** The worker a new stream or connection runs on: the requested one, else round-robin. */
  assignWorker(requested: number | undefined): number {
    if (requested !== undefined) {
      if (!Number.isInteger(requested) || requested < 0 || requested >= this.workerCount) {
        throw new Error(`worker ${requested} out of range (host has ${this.workerCount} workers)`);
      }
      return requested;
    }
    const w = this.nextWorker;
    this.nextWorker = (w + 1) % this.workerCount;
    return w;
  }

  /**
   * A stream/connection on `worker` is created with this plugin (PluginConfig::createContext). Returns the
   * plugin's instance to use, or null when the filter is not installed (not running on that worker, or
   * FAIL_OPEN after a VM failure). FAIL_RELOAD rebuilds the worker's VM and replays start/configure.
   */
  prepareForStream(plugin: Plugin, worker: number): PluginInstance | null {
    const inst = plugin.instances[worker];
    if (!inst) return null;
    const action = onStreamCreationAfterFailure(plugin, inst.vm);
    if (action === "skip") return null;
    // PluginConfig::maybeReloadHandleIfNeeded: within the backoff since the last load the failed VM stays (the
    // stream fails as under FAIL_CLOSED); after it, the VM is rebuilt and the load time renewed either way.
    if (action === "reload" && this.clock.nowMs - plugin.lastLoadMs[worker] >= plugin.reloadWaitMs) this.reload(inst.vm);
    return plugin.instances[worker];
  }

  /** FAIL_RELOAD: every plugin of the failed VM starts again on a fresh clone for that worker. */
  private reload(failed: Vm): void {
    const set = this.vmSets.get(failed.key);
    const worker = failed.worker;
    if (!set || worker < 0) return;
    for (const info of failed.plugins) {
      const p = this.plugins.find((x) => x === info);
      if (!p || p.instances[worker]?.vm !== failed) continue;
      p.lastLoadMs[worker] = this.clock.nowMs;
      const inst = this.modelsCanary ? set.startOnWorker(p, worker) : set.restartOnSingleVm(p);
      if (inst) p.instances[worker] = inst;
      else this.logSink.hostLog("error", `Wasm VM reload failed for plugin ${p.name}`);
    }
  }

  /** Tear down a plugin's root contexts: on_done; true → on_delete, false → wait for proxy_done. */
  shutdownPlugin(plugin: Plugin): void {
    for (const inst of plugin.instances) {
      if (!inst) continue;
      const { vm, root } = inst;
      let done = 1;
      if (!vm.failed && vm.onDone) { done = vm.invoke(root, "proxy_on_done", vm.onDone, root.id); vm.afterCall(); }
      this.clock.removeAll(root);
      if (done) this.deleteRootContext(root);
      else root.pendingDone = true;
    }
    this.dispatch();
  }

  deleteRootContext(root: VmContext): void {
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

  /** The tick period a plugin's root context asked for (0 = none), on the given worker (default: the first). */
  tickPeriod(plugin: Plugin, worker?: number): number {
    const root = worker === undefined ? plugin.root : plugin.instances[worker]?.root;
    return root ? this.clock.tickPeriod(root) : 0;
  }

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

  startHttpCall(root: VmContext, request: HttpCallRequest): void {
    const key = Callouts.key(root.vm, request.token);
    this.callouts.http.set(key, { root, request });
    this.callouts.httpLog.push(request);
    this.posted.push(() => {
      if (!this.callouts.http.has(key) || !this.httpResponder) return;
      const r = this.httpResponder(request);
      if (r !== undefined && this.callouts.http.has(key)) this.deliverHttpResponse(key, r);
    });
  }

  /**
   * Answer a pending HTTP call (delivered to the root context as Envoy's async client would). Tokens repeat
   * across worker VMs: pass `worker` when several workers have a call with this token pending.
   */
  respondHttpCall(token: number, response: HttpCallResponse | "reset", worker?: number): void {
    this.deliverHttpResponse(Callouts.find(this.callouts.http, token, worker, "http"), response);
  }

  private deliverHttpResponse(key: string, response: HttpCallResponse | "reset"): void {
    const call = this.callouts.http.get(key)!;
    this.callouts.http.delete(key);
    const token = call.request.token;
    const root = call.root;
    const vm = root.vm;
    if (vm.failed || !vm.contexts.has(root.id)) return;
    if (response === "reset") {
      // onHttpCallFailure: status BrokenConnection / "reset", on_http_call_response(token, 0, 0, 0).
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

  startGrpcCall(root: VmContext, request: GrpcCallRequest, stream: boolean): void {
    const key = Callouts.key(root.vm, request.token);
    this.callouts.grpc.set(key, { root, request, stream, messages: [], closedLocal: false });
    this.callouts.grpcLog.push(request);
    this.posted.push(() => {
      if (!this.callouts.grpc.has(key) || !this.grpcResponder) return;
      const r = this.grpcResponder(request);
      if (r !== undefined && this.callouts.grpc.has(key)) this.deliverGrpcResponse(key, r);
    });
  }

  /** Answer a pending gRPC call or stream (initial metadata, one message, trailing metadata, close). */
  respondGrpcCall(token: number, response: GrpcCallResponse, worker?: number): void {
    this.deliverGrpcResponse(Callouts.find(this.callouts.grpc, token, worker, "grpc"), response);
  }

  private deliverGrpcResponse(key: string, response: GrpcCallResponse): void {
    const call = this.callouts.grpc.get(key)!;
    const token = call.request.token;
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
    // A unary call that succeeded ends with on_grpc_receive only: GrpcCallClientHandler::onSuccessRaw →
    // onGrpcReceiveWrapper, which erases the call; only onFailure → onGrpcCloseWrapper → on_grpc_close
    // (envoy source/extensions/common/wasm/context.h, context.cc). Streams always end with on_grpc_close.
    if (call.stream || status !== 0) {
      root.statusCode = status;
      root.statusMessage = response.statusMessage ?? "";
      run("proxy_on_grpc_close", vm.onGrpcClose, token, status);
      root.statusMessage = "";
      vm.afterCall();
    }
    this.callouts.grpc.delete(key);
    this.dispatch();
  }

  /**
   * proxy_grpc_cancel / proxy_grpc_close (envoy context.cc grpcCancel/grpcClose): a call is cancelled and
   * forgotten; a stream is reset and forgotten on cancel, half-closed (kept for the remote's reply) on close.
   */
  cancelGrpc(vm: Vm, token: number, close: boolean): number {
    const type = token & 3;
    if (type !== 1 && type !== 2) return WasmResult.BadArgument;
    const key = Callouts.key(vm, token);
    const call = this.callouts.grpc.get(key);
    if (!call) return WasmResult.NotFound;
    if (close && call.stream) call.closedLocal = true;
    else this.callouts.grpc.delete(key);
    return WasmResult.Ok;
  }

  // ---- queues / foreign functions ----

  postQueueReady(root: VmContext, token: number): void {
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

  recordTrap(vm: Vm, ctx: VmContext, callback: string, message: string): void {
    this.traps.push({ plugin: ctx.plugin?.name ?? "", vmId: vm.vmId, worker: vm.worker, callback, contextId: ctx.id, message });
    this.logSink.hostLog("error", `Wasm VM failed ${message}`);
  }
}

// The import functions handed to a module: proxy-wasm hostcalls as Envoy implements them
// (proxy-wasm-cpp-host src/exports.cc for argument handling, envoy source/extensions/common/wasm/context.cc
// for behaviour) plus the WASI subset (src/exports.cc wasi_unstable_*), registered under both WASI names.
import type { Vm, VmContext } from "./vm.ts";
import type { HeaderMap } from "./header-map.ts";
import { HeaderMap as HeaderMapImpl } from "./header-map.ts";
import { BodyBuffer } from "./body-buffer.ts";
import { WasmResult, MapType, BufferType, StreamType } from "./constants.ts";
import { decodePairs, encodePairs } from "./pairs.ts";
import { getProperty } from "./properties.ts";
import { bytesToString } from "./memory.ts";
import { COMMON_PROXY_IMPORTS, ABI_SPECIFIC_IMPORTS, WASI_MODULES } from "./imports.ts";
import { wasiFunctions } from "./wasi.ts";
import { Callouts, clusterFromGrpcService } from "./callouts.ts";

const EMPTY = new Uint8Array(0);
const { Ok, NotFound, BadArgument, InvalidMemoryAccess, Unimplemented, ParseFailure } = WasmResult;


// A plain Error, not a WebAssembly.RuntimeError: Envoy's V8 reports it as "Uncaught Error: restricted_callback"
// (seen in Envoy 1.36.2 and 1.40.0, test/e2e/failure.test.ts).
class RestrictedCallback extends Error {
  constructor() { super("restricted_callback"); }
}

/** Envoy StringUtil::replaceAllEmptySpace. */
function replaceWhitespace(s: string): string { return s.replace(/\s/g, "_"); }

export function buildImports(vm: Vm): Record<string, Record<string, unknown>> {
  const mem = vm.mem;
  const host = vm.host;

  // Every import goes through `guard`: the restricted-callback check (src/wasm.cc startVm, wasm.h allocMemory)
  // and, with Host({ countHostCalls: true }), the call count. Fixed-arity wrappers keep calls allocation-free.
  const counts = host.hostCalls;
  const refuse = (full: string): never => {
    vm.restrictedCall = full;
    throw new RestrictedCallback();
  };
  const guard = (full: string, fn: (...a: any[]) => any): ((...a: any[]) => any) => {
    const check = counts === null
      ? () => { if (vm.restricted !== null && !vm.restricted.has(full)) refuse(full); }
      : () => {
        counts.add(full);
        vm.active.plugin?.hostCalls?.add(full);
        if (vm.restricted !== null && !vm.restricted.has(full)) refuse(full);
      };
    switch (fn.length) {
      case 0: return () => { check(); return fn(); };
      case 1: return (a: any) => { check(); return fn(a); };
      case 2: return (a: any, b: any) => { check(); return fn(a, b); };
      case 3: return (a: any, b: any, c: any) => { check(); return fn(a, b, c); };
      case 4: return (a: any, b: any, c: any, d: any) => { check(); return fn(a, b, c, d); };
      case 5: return (a: any, b: any, c: any, d: any, e: any) => { check(); return fn(a, b, c, d, e); };
      default: return (...args: any[]) => { check(); return fn(...args); };
    }
  };

  const ctxOf = (): VmContext => vm.active;

  // ---- header maps (envoy context.cc getMap / getConstMap) ----
  const getMap = (ctx: VmContext, type: number): HeaderMap | null => {
    switch (type) {
      case MapType.RequestHeaders: return ctx.requestHeaders;
      case MapType.RequestTrailers:
        if (!ctx.requestTrailers && ctx.requestBody && ctx.endOfStream && ctx.inRequestBody && ctx.owner?.kind === "http") {
          ctx.requestTrailers = ctx.owner.addTrailers(ctx, false);
        }
        return ctx.requestTrailers;
      case MapType.ResponseHeaders: return ctx.responseHeaders;
      case MapType.ResponseTrailers:
        if (!ctx.responseTrailers && ctx.responseBody && ctx.endOfStream && ctx.inResponseBody && ctx.owner?.kind === "http") {
          ctx.responseTrailers = ctx.owner.addTrailers(ctx, true);
        }
        return ctx.responseTrailers;
    }
    return null;
  };
  const getConstMap = (ctx: VmContext, type: number): HeaderMap | null => {
    const root = ctx.root;
    switch (type) {
      case MapType.RequestHeaders: return ctx.accessLogPhase ? ctx.logRequestHeaders : ctx.requestHeaders;
      case MapType.RequestTrailers: return ctx.accessLogPhase ? null : ctx.requestTrailers;
      case MapType.ResponseHeaders: return ctx.accessLogPhase ? ctx.logResponseHeaders : ctx.responseHeaders;
      case MapType.ResponseTrailers: return ctx.accessLogPhase ? ctx.logResponseTrailers : ctx.responseTrailers;
      case MapType.GrpcReceiveInitialMetadata: return root.grpcInitialMetadata;
      case MapType.GrpcReceiveTrailingMetadata: return root.grpcTrailingMetadata;
      case MapType.HttpCallResponseHeaders: return root.httpCallResponse?.headers ?? null;
      case MapType.HttpCallResponseTrailers: return root.httpCallResponse?.trailers ?? null;
    }
    return null;
  };
  const headersModified = (ctx: VmContext, type: number) => {
    // Envoy ≥ 1.33 clears the route cache on request-header changes for ABI ≤ 0.2.1 (context.cc onHeadersModified).
    if (type === MapType.RequestHeaders && ctx.owner) ctx.owner.clearRouteCache();
  };

  // ---- buffers (envoy context.cc getBuffer) ----
  interface BufView { data: Uint8Array; mutable: BodyBuffer | null }
  const constView = (data: Uint8Array): BufView => ({ data, mutable: null });
  const bodyView = (b: BodyBuffer | null): BufView => (b ? { data: b.data, mutable: b } : constView(EMPTY));
  const getBuffer = (ctx: VmContext, type: number): BufView | null => {
    const root = ctx.root;
    switch (type) {
      case BufferType.HttpRequestBody: return bodyView(ctx.requestBody);
      case BufferType.HttpResponseBody: return bodyView(ctx.responseBody);
      case BufferType.DownstreamData: return bodyView(ctx.downstreamData);
      case BufferType.UpstreamData: return bodyView(ctx.upstreamData);
      case BufferType.HttpCallResponseBody: return root.httpCallResponse ? constView(root.httpCallResponse.body) : null;
      case BufferType.GrpcReceiveBuffer: return constView(root.grpcReceiveBuffer ?? EMPTY);
      case BufferType.VmConfiguration: return constView(vm.vmConfig);
      case BufferType.PluginConfiguration: return ctx.configuring && ctx.plugin ? constView(ctx.plugin.configuration) : null;
      case BufferType.CallData: return constView(ctx.callData ?? EMPTY);
    }
    return null;
  };

  const str = (ptr: number, len: number) => mem.string(ptr, len);

  // add_header_map_value / replace_header_map_value: the same checks in the same order, then add or replace.
  const setHeaderMapValue = (type: number, kPtr: number, kSize: number, vPtr: number, vSize: number, replace: boolean): number => {
    if (type > MapType.HttpCallResponseTrailers) return BadArgument;
    const key = str(kPtr, kSize), value = str(vPtr, vSize);
    if (key === null || value === null) return InvalidMemoryAccess;
    const ctx = ctxOf();
    const map = getMap(ctx, type);
    if (!map) return BadArgument;
    if (replace) map.replace(key, value);
    else map.add(key, value);
    headersModified(ctx, type);
    return Ok;
  };

  const env: Record<string, unknown> = {
    proxy_log(level: number, ptr: number, size: number): number {
      const msg = str(ptr, size);
      if (msg === null) return InvalidMemoryAccess;
      const ctx = ctxOf();
      return host.logSink.wasmLog(level >>> 0, ctx.logPrefix(), msg, vm.worker) ? Ok : BadArgument;
    },
    proxy_get_log_level(ptr: number): number {
      return mem.writeU32(ptr, host.logSink.level) ? Ok : InvalidMemoryAccess;
    },
    proxy_get_current_time_nanoseconds(ptr: number): number {
      return mem.writeU64(ptr, host.clock.nowNanos()) ? Ok : InvalidMemoryAccess;
    },
    proxy_set_tick_period_milliseconds(period: number): number {
      host.clock.setTickPeriod(ctxOf().root, period >>> 0);
      return Ok;
    },
    proxy_get_status(codePtr: number, ptrPtr: number, sizePtr: number): number {
      const root = ctxOf().root;
      if (!mem.writeU32(codePtr, root.statusCode)) return InvalidMemoryAccess;
      return vm.copyOut(Buffer.from(root.statusMessage), ptrPtr, sizePtr) ? Ok : InvalidMemoryAccess;
    },
    proxy_get_property(pathPtr: number, pathSize: number, retPtr: number, retSize: number): number {
      const path = mem.view(pathPtr, pathSize);
      if (!path) return InvalidMemoryAccess;
      const segments: string[] = [];
      let start = 0;
      while (start < path.length) {
        let end = path.indexOf(0, start);
        if (end < 0) end = path.length;
        segments.push(bytesToString(path, start, end));
        start = end + 1;
      }
      const r = getProperty(ctxOf(), segments);
      if (r.status !== Ok) return r.status;
      return vm.copyOut(r.value, retPtr, retSize) ? Ok : InvalidMemoryAccess;
    },
    proxy_set_property(kPtr: number, kSize: number, vPtr: number, vSize: number): number {
      const key = str(kPtr, kSize);
      const value = mem.copy(vPtr, vSize);
      if (key === null || !value) return InvalidMemoryAccess;
      const ctx = ctxOf();
      if (!ctx.owner) return NotFound; // no stream info in a root context
      return ctx.owner.filterState.setCel(key, value, ctx.root.statePrototypes?.get(key)) ? Ok : BadArgument;
    },

    // ---- header maps ----
    proxy_get_header_map_value(type: number, kPtr: number, kSize: number, retPtr: number, retSize: number): number {
      if (type > MapType.HttpCallResponseTrailers) return BadArgument;
      const key = str(kPtr, kSize);
      if (key === null) return InvalidMemoryAccess;
      const ctx = ctxOf();
      const map = getConstMap(ctx, type);
      if (!map) {
        if (ctx.accessLogPhase) {
          if (vm.abi === "0.1.0") return vm.copyOut(EMPTY, retPtr, retSize) ? Ok : InvalidMemoryAccess;
          return NotFound;
        }
        return BadArgument;
      }
      const v = map.getBytes(key);
      if (v === undefined) {
        if (vm.abi === "0.1.0") return vm.copyOut(EMPTY, retPtr, retSize) ? Ok : InvalidMemoryAccess;
        return NotFound;
      }
      return vm.copyOut(typeof v === "string" ? Buffer.from(v) : v, retPtr, retSize) ? Ok : InvalidMemoryAccess;
    },
    proxy_add_header_map_value(type: number, kPtr: number, kSize: number, vPtr: number, vSize: number): number {
      return setHeaderMapValue(type, kPtr, kSize, vPtr, vSize, false);
    },
    proxy_replace_header_map_value(type: number, kPtr: number, kSize: number, vPtr: number, vSize: number): number {
      return setHeaderMapValue(type, kPtr, kSize, vPtr, vSize, true);
    },
    proxy_remove_header_map_value(type: number, kPtr: number, kSize: number): number {
      if (type > MapType.HttpCallResponseTrailers) return BadArgument;
      const key = str(kPtr, kSize);
      if (key === null) return InvalidMemoryAccess;
      const ctx = ctxOf();
      const map = getMap(ctx, type);
      if (!map) return BadArgument;
      map.remove(key);
      headersModified(ctx, type);
      return Ok;
    },
    proxy_get_header_map_pairs(type: number, retPtr: number, retSize: number): number {
      if (type > MapType.HttpCallResponseTrailers) return BadArgument;
      const map = getConstMap(ctxOf(), type);
      if (!map || map.size === 0) return vm.copyOut(EMPTY, retPtr, retSize) ? Ok : InvalidMemoryAccess;
      const n = map.size;
      const pairs: Array<[string, string | Uint8Array]> = new Array(n);
      for (let i = 0; i < n; i++) pairs[i] = [map.keys[i], map.bytesAt(i)];
      return vm.copyOut(encodePairs(pairs), retPtr, retSize) ? Ok : InvalidMemoryAccess;
    },
    proxy_set_header_map_pairs(type: number, ptr: number, size: number): number {
      if (type > MapType.HttpCallResponseTrailers) return BadArgument;
      const buf = mem.view(ptr, size);
      if (!buf) return InvalidMemoryAccess;
      const ctx = ctxOf();
      const map = getMap(ctx, type);
      if (!map) return BadArgument;
      const pairs = decodePairs(buf); // malformed → empty → clears the map (pairs_util.cc toPairs)
      map.clear();
      for (const [k, v] of pairs) map.add(k, v);
      headersModified(ctx, type);
      return Ok;
    },
    proxy_get_header_map_size(type: number, retPtr: number): number {
      if (type > MapType.HttpCallResponseTrailers) return BadArgument;
      const map = getMap(ctxOf(), type);
      if (!map) return BadArgument;
      return mem.writeU32(retPtr, map.byteSize()) ? Ok : InvalidMemoryAccess;
    },

    // ---- buffers ----
    proxy_get_buffer_bytes(type: number, start: number, length: number, ptrPtr: number, sizePtr: number): number {
      if (type > BufferType.CallData) return BadArgument;
      const b = getBuffer(ctxOf(), type);
      if (!b) return NotFound;
      start >>>= 0; length >>>= 0;
      const size = b.data.length;
      if (start > size) length = 0;
      else if (start + length > size) length = size - start;
      if (length === 0) return mem.writeU32(ptrPtr, 0) && mem.writeU32(sizePtr, 0) ? Ok : InvalidMemoryAccess;
      return vm.copyOut(b.data.subarray(start, start + length), ptrPtr, sizePtr) ? Ok : InvalidMemoryAccess;
    },
    proxy_get_buffer_status(type: number, lenPtr: number, flagsPtr: number): number {
      if (type > BufferType.CallData) return BadArgument;
      const b = getBuffer(ctxOf(), type);
      if (!b) return NotFound;
      return mem.writeU32(lenPtr, b.data.length) && mem.writeU32(flagsPtr, 0) ? Ok : InvalidMemoryAccess;
    },
    proxy_set_buffer_bytes(type: number, start: number, length: number, dataPtr: number, dataSize: number): number {
      if (type > BufferType.CallData) return BadArgument;
      const b = getBuffer(ctxOf(), type);
      if (!b) return NotFound;
      const data = mem.copy(dataPtr, dataSize);
      if (!data) return InvalidMemoryAccess;
      if (!b.mutable) return BadArgument;
      return b.mutable.copyFrom(start >>> 0, length >>> 0, data);
    },

    // ---- stream control (deferred: envoy context.cc continueStream/closeStream/sendLocalResponse) ----
    proxy_continue_stream(type: number): number { return continueStream(ctxOf(), type); },
    proxy_close_stream(type: number): number {
      if (type > StreamType.Upstream) return BadArgument;
      const ctx = ctxOf();
      const owner = ctx.owner;
      if (owner) {
        const isHttp = owner.kind === "http";
        if ((type <= StreamType.Response) === isHttp) vm.addAfterAction(() => owner.closeStream(ctx, type));
      }
      return Ok;
    },
    proxy_send_local_response(status: number, dPtr: number, dSize: number, bPtr: number, bSize: number,
      hPtr: number, hSize: number, grpc: number): number {
      const details = str(dPtr, dSize);
      const body = mem.copy(bPtr, bSize);
      const hdrs = mem.view(hPtr, hSize);
      if (details === null || !body || !hdrs) return InvalidMemoryAccess;
      const headers = decodePairs(hdrs).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
      const ctx = ctxOf();
      const owner = ctx.owner;
      if (owner && owner.kind === "http") {
        const g = grpc >>> 0;
        const reply = { status: status >>> 0, details: replaceWhitespace(details), body, headers, grpcStatus: g <= 16 ? g : null };
        vm.addAfterAction(() => owner.sendLocalReply(ctx, reply));
      }
      vm.stopNextIteration = true; // exports.cc send_local_response
      return Ok;
    },

    // ---- callouts ----
    proxy_http_call(uPtr: number, uSize: number, hPtr: number, hSize: number, bPtr: number, bSize: number,
      tPtr: number, tSize: number, timeout: number, tokenPtr: number): number {
      const root = ctxOf().root;
      const cluster = str(uPtr, uSize);
      const body = mem.copy(bPtr, bSize);
      const hdrs = mem.view(hPtr, hSize);
      const trls = mem.view(tPtr, tSize);
      if (cluster === null || !body || !hdrs || !trls) return InvalidMemoryAccess;
      const headers = decodePairs(hdrs).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
      const trailers = decodePairs(trls).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
      if (!mem.writeU32(tokenPtr, 0)) return InvalidMemoryAccess;
      if ((timeout | 0) < 0) return BadArgument;
      if (!host.hasCluster(cluster)) return BadArgument;
      const has = (n: string) => headers.some(([k]) => k === n);
      if (!has(":path") || !has(":method") || !(has(":authority") || has("host"))) return BadArgument;
      if (body.length > 0) {
        const i = headers.findIndex(([k]) => k === "content-length");
        if (i >= 0) headers.splice(i, 1);
        headers.push(["content-length", String(body.length)]);
      }
      const token = (vm.nextHttpCallId += 4);
      host.startHttpCall(root, { token, cluster, headers, body, trailers, timeoutMs: timeout >>> 0, plugin: root.plugin?.name ?? "", worker: vm.worker });
      mem.writeU32(tokenPtr, token);
      return Ok;
    },
    proxy_grpc_call(sPtr: number, sSize: number, nPtr: number, nSize: number, mPtr: number, mSize: number,
      mdPtr: number, mdSize: number, qPtr: number, qSize: number, timeout: number, tokenPtr: number): number {
      const root = ctxOf().root;
      const svc = mem.copy(sPtr, sSize), service = str(nPtr, nSize), method = str(mPtr, mSize);
      const md = mem.view(mdPtr, mdSize), msg = mem.copy(qPtr, qSize);
      if (!svc || service === null || method === null || !md || !msg) return InvalidMemoryAccess;
      const cluster = resolveGrpcCluster(svc);
      if (cluster === null) return ParseFailure;
      const token = (vm.nextGrpcCallId += 4);
      if (!mem.writeU32(tokenPtr, token)) return InvalidMemoryAccess;
      host.startGrpcCall(root, { token, cluster, service, method, metadata: decodePairs(md), message: msg, timeoutMs: timeout >>> 0, plugin: root.plugin?.name ?? "", worker: vm.worker }, false);
      return Ok;
    },
    proxy_grpc_stream(sPtr: number, sSize: number, nPtr: number, nSize: number, mPtr: number, mSize: number,
      mdPtr: number, mdSize: number, tokenPtr: number): number {
      const root = ctxOf().root;
      const svc = mem.copy(sPtr, sSize), service = str(nPtr, nSize), method = str(mPtr, mSize);
      const md = mem.view(mdPtr, mdSize);
      if (!svc || service === null || method === null || !md) return InvalidMemoryAccess;
      const cluster = resolveGrpcCluster(svc);
      if (cluster === null) return ParseFailure;
      const token = (vm.nextGrpcStreamId += 4);
      if (!mem.writeU32(tokenPtr, token)) return InvalidMemoryAccess;
      host.startGrpcCall(root, { token, cluster, service, method, metadata: decodePairs(md), message: EMPTY, timeoutMs: 0, plugin: root.plugin?.name ?? "", worker: vm.worker }, true);
      return Ok;
    },
    proxy_grpc_send(token: number, ptr: number, size: number, endStream: number): number {
      const msg = mem.copy(ptr, size);
      if (!msg) return InvalidMemoryAccess;
      if ((token & 3) !== 2) return BadArgument;
      const call = host.callouts.grpc.get(Callouts.key(vm, token));
      if (!call) return NotFound;
      call.messages.push(msg);
      if (endStream) call.closedLocal = true;
      return Ok;
    },
    proxy_grpc_cancel(token: number): number { return host.cancelGrpc(vm, token >>> 0, false); },
    proxy_grpc_close(token: number): number { return host.cancelGrpc(vm, token >>> 0, true); },

    // ---- shared data / queues ----
    proxy_get_shared_data(kPtr: number, kSize: number, vPtrPtr: number, vSizePtr: number, casPtr: number): number {
      const key = str(kPtr, kSize);
      if (key === null) return InvalidMemoryAccess;
      const e = host.sharedData.get(vm.vmId, key);
      if (!e) return NotFound;
      if (!vm.copyOut(e.value, vPtrPtr, vSizePtr)) return InvalidMemoryAccess;
      return mem.writeU32(casPtr, e.cas) ? Ok : InvalidMemoryAccess;
    },
    proxy_set_shared_data(kPtr: number, kSize: number, vPtr: number, vSize: number, cas: number): number {
      const key = str(kPtr, kSize);
      const value = mem.copy(vPtr, vSize);
      if (key === null || !value) return InvalidMemoryAccess;
      return host.sharedData.set(vm.vmId, key, value, cas >>> 0);
    },
    proxy_register_shared_queue(nPtr: number, nSize: number, tokenPtr: number): number {
      const name = str(nPtr, nSize);
      if (name === null) return InvalidMemoryAccess;
      const token = host.sharedQueues.register(vm.vmId, name, ctxOf().root);
      return mem.writeU32(tokenPtr, token) ? Ok : InvalidMemoryAccess;
    },
    proxy_resolve_shared_queue(vPtr: number, vSize: number, nPtr: number, nSize: number, tokenPtr: number): number {
      const vmId = str(vPtr, vSize), name = str(nPtr, nSize);
      if (vmId === null || name === null) return InvalidMemoryAccess;
      const token = host.sharedQueues.resolve(vmId === "" ? vm.vmId : vmId, name);
      if (token === 0) return NotFound;
      return mem.writeU32(tokenPtr, token) ? Ok : InvalidMemoryAccess;
    },
    proxy_enqueue_shared_queue(token: number, ptr: number, size: number): number {
      const value = mem.copy(ptr, size);
      if (!value) return InvalidMemoryAccess;
      const r = host.sharedQueues.enqueue(token >>> 0, value);
      if (r.result === Ok && r.target) host.postQueueReady(r.target, token >>> 0);
      return r.result;
    },
    proxy_dequeue_shared_queue(token: number, ptrPtr: number, sizePtr: number): number {
      const r = host.sharedQueues.dequeue(token >>> 0);
      if (r.result !== Ok) return r.result;
      return vm.copyOut(r.value!, ptrPtr, sizePtr) ? Ok : InvalidMemoryAccess;
    },

    // ---- metrics ----
    proxy_define_metric(type: number, nPtr: number, nSize: number, idPtr: number): number {
      const name = str(nPtr, nSize);
      if (name === null) return InvalidMemoryAccess;
      const r = vm.metrics.define(host.stats, type >>> 0, name);
      if (r.result !== Ok) return r.result;
      return mem.writeU32(idPtr, r.id) ? Ok : InvalidMemoryAccess;
    },
    proxy_increment_metric(id: number, offset: bigint): number { return vm.metrics.increment(id >>> 0, offset); },
    proxy_record_metric(id: number, value: bigint): number { return vm.metrics.record(id >>> 0, value); },
    proxy_get_metric(id: number, ptr: number): number {
      const r = vm.metrics.get(id >>> 0);
      if (r.result !== Ok) return r.result;
      return mem.writeU64(ptr, r.value) ? Ok : InvalidMemoryAccess;
    },

    // ---- misc ----
    proxy_set_effective_context(id: number): number {
      const c = vm.contexts.get(id >>> 0);
      if (!c) return BadArgument;
      vm.effective = c;
      return Ok;
    },
    proxy_done(): number {
      const root = ctxOf().root;
      if (!root.pendingDone) return NotFound;
      root.pendingDone = false;
      vm.addAfterAction(() => host.deleteRootContext(root));
      return Ok;
    },
    proxy_call_foreign_function(nPtr: number, nSize: number, aPtr: number, aSize: number, rPtr: number, rSizePtr: number): number {
      const name = str(nPtr, nSize);
      if (name === null) return InvalidMemoryAccess;
      const args = mem.copy(aPtr, aSize);
      if (!args) return InvalidMemoryAccess;
      const f = host.foreignFunctions.get(name);
      if (!f) return NotFound;
      const ctx = ctxOf();
      const out = f(args, { filterState: ctx.owner?.filterState ?? null, plugin: ctx.plugin!, contextId: ctx.id, context: ctx });
      let status: number = Ok;
      let result: Uint8Array = EMPTY;
      if (typeof out === "string") result = Buffer.from(out);
      else if (out instanceof Uint8Array) result = out;
      else if (out && typeof out === "object") { status = out.status; result = out.result ?? EMPTY; }
      let address = 0;
      if (result.length > 0 && rPtr !== 0) {
        address = vm.alloc(result.length);
        if (address === 0 || !mem.write(address, result)) return InvalidMemoryAccess;
      }
      if (rPtr !== 0 && !mem.writeU32(rPtr, address)) return InvalidMemoryAccess;
      if (rSizePtr !== 0 && !mem.writeU32(rSizePtr, result.length)) return InvalidMemoryAccess;
      return status;
    },

    // ---- ABI 0.1.0 ----
    proxy_get_configuration(ptrPtr: number, sizePtr: number): number {
      const ctx = ctxOf();
      const data = ctx.configuring && ctx.plugin ? ctx.plugin.configuration : vm.vmConfig;
      return vm.copyOut(data, ptrPtr, sizePtr) ? Ok : InvalidMemoryAccess;
    },
    proxy_continue_request(): number { return continueStream(ctxOf(), StreamType.Request); },
    proxy_continue_response(): number { return continueStream(ctxOf(), StreamType.Response); },
    proxy_clear_route_cache(): number { ctxOf().owner?.clearRouteCache(); return Ok; },

    // ---- always registered ----
    pthread_equal(a: number, b: number): number { return a === b ? 1 : 0; },
    emscripten_notify_memory_growth(_n: number): void { mem.refresh(); },
    envoy_resolve_dns(aPtr: number, aSize: number, tokenPtr: number): number {
      if (str(aPtr, aSize) === null) return InvalidMemoryAccess;
      return mem.writeU32(tokenPtr, ++host.dnsTokens) ? Ok : InvalidMemoryAccess;
    },
  };

  function continueStream(ctx: VmContext, type: number): number {
    if (type > StreamType.Upstream) return BadArgument;
    const owner = ctx.owner;
    if (type === StreamType.Upstream) return Unimplemented;
    if (type === StreamType.Downstream) {
      if (owner && owner.kind === "tcp") vm.addAfterAction(() => owner.continueStream(ctx, type));
      return Ok;
    }
    if (owner && owner.kind === "http") vm.addAfterAction(() => owner.continueStream(ctx, type));
    // continueStream clears the request windows right away (envoy context.cc continueStream).
    ctx.requestHeaders = null;
    ctx.requestBody = null;
    ctx.requestTrailers = null;
    return Ok;
  }

  function resolveGrpcCluster(svc: Uint8Array): string | null {
    const fromProto = clusterFromGrpcService(svc);
    if (fromProto !== null) return fromProto;
    const name = Buffer.from(svc).toString("utf8");
    return host.hasCluster(name) ? name : null;
  }

  const wasi = wasiFunctions(vm);

  // Wrap with the restricted-callback check, per module name.
  const out: Record<string, Record<string, unknown>> = { env: {} };
  const proxyNames = new Set([...Object.keys(COMMON_PROXY_IMPORTS), ...Object.keys(ABI_SPECIFIC_IMPORTS["0.1.0"]),
    ...Object.keys(ABI_SPECIFIC_IMPORTS["0.2.1"])]);
  for (const [name, fn] of Object.entries(env)) {
    if (!proxyNames.has(name) && !["pthread_equal", "emscripten_notify_memory_growth", "envoy_resolve_dns"].includes(name)) continue;
    out.env[name] = guard(`env.${name}`, fn as (...a: any[]) => any);
  }
  for (const m of WASI_MODULES) {
    out[m] = {};
    for (const [name, fn] of Object.entries(wasi)) out[m][name] = guard(`${m}.${name}`, fn as (...a: any[]) => any);
  }
  return out;
}

export { HeaderMapImpl };

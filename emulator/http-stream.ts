// One HTTP stream through a chain of Wasm HTTP filters: the Wasm filter's side of Envoy's FilterManager
// (envoyproxy/envoy:source/extensions/common/wasm/context.cc); the iteration itself is filter-manager.ts:
// - decode runs filters in configured order, encode in reverse (encoder filters are prepended);
// - statuses are mapped as the host does (status-mapping.ts); StopAll holds body/trailers before the filter,
//   StopIteration (allow_on_headers_stop_iteration) lets body callbacks through, a body Continue then resumes
//   the headers; body StopIterationAndBuffer accumulates and re-delivers the whole buffer;
// - proxy_continue_stream / proxy_close_stream / proxy_send_local_response are deferred to after the VM call;
// - a local reply from the decode path goes through every encoder filter (sendLocalReplyViaFilterChain:
//   encodeHeaders(nullptr, ...) starts at the first encoder), a later one is sent directly or resets the stream;
// - header/body windows are open only while the delivering callback runs or is paused;
// - teardown: on_log for every filter, then on_done + on_delete per filter (conn_manager_impl.cc
//   doDeferredStreamDestroy logs before destroyFilters).
import type { Plugin } from "./plugin.ts";
import type { StreamHost } from "./stream-host.ts";
import type { StreamOwner } from "./context.ts";
import type { PendingLocalReply } from "./local-reply.ts";
import type { HeaderList, LocalResponse, Props, RawHeaderList } from "./types.ts";
import { HeaderMap } from "./header-map.ts";
import { BodyBuffer } from "./body-buffer.ts";
import { FilterState, LifeSpan } from "./filter-state.ts";
import { simpleAtoiU64, type PropertySource } from "./properties.ts";
import { HeadersStatus, DataStatus, TrailersStatus, StreamType } from "./constants.ts";
import { Direction, Forwarded, type FilterCallbacks } from "./filter-manager.ts";
import { mapHeadersStatus, mapDataStatus, mapTrailersStatus } from "./status-mapping.ts";
import { buildLocalReply } from "./local-reply.ts";
import { continueAfterFailure } from "./failure.ts";
import { toBytes, bytesToString } from "./memory.ts";
import { msToNanos } from "./timers.ts";
import type { VmContext } from "./vm.ts";

export interface HttpStreamOptions {
  /** HTTP filter chain in configured order (decode in this order, encode in reverse). The router is implicit. */
  filters: Plugin[];
  /** Connection-level properties (source.*, destination.*, connection.*, upstream.*, filter_state.*). */
  connection?: Props;
  /** Stream-level properties (request.protocol, xds.route_name, metadata.*, filter_state.* ...). */
  properties?: Props;
  /**
   * Connection filter state shared with this stream (parent of the stream's filter state, as in Envoy).
   * Pass `tcpConnection.filterState` to run HTTP filters "on" a TCP connection.
   */
  connectionFilterState?: FilterState;
  /** Worker thread (0-based) the stream runs on, with Host({ workers }). Default: round-robin. */
  worker?: number;
}

const FAIL_STREAM_DETAILS = "wasm_fail_stream";

const NO_LAYERS: Props[] = [];

interface Slot {
  plugin: Plugin;
  ctx: VmContext;
  /** false when the filter was not installed (FAIL_OPEN after a VM failure). */
  active: boolean;
}

export class HttpStream implements StreamOwner, PropertySource, FilterCallbacks {
  readonly kind = "http" as const;
  readonly host: StreamHost;
  readonly slots: Slot[];
  readonly filterState: FilterState;
  readonly layers: Props[];
  readonly connectionId: number;
  /** The worker thread the stream runs on. */
  readonly worker: number;
  private readonly startMs: number;
  readonly upstreamRequest = new Forwarded();
  readonly downstreamResponse = new Forwarded();
  localResponse: LocalResponse | null = null;
  reset: { details: string } | null = null;
  /** Times a filter asked Envoy to clear the route cache (header edits, clear_route_cache). */
  routeCacheClears = 0;
  private readonly decode: Direction;
  private readonly encode: Direction;
  private requestHeaders: HeaderMap | null = null;
  private responseHeaders: HeaderMap | null = null;
  private responseTrailers: HeaderMap | null = null;
  private codeDetails: string | null = null;
  private completedAtMs = -1;
  private finished = false;

  constructor(host: StreamHost, options: HttpStreamOptions, connectionId: number) {
    this.host = host;
    this.connectionId = connectionId;
    this.startMs = host.clock.nowMs;
    const { properties, connection } = options;
    this.layers = properties && connection ? [properties, connection] : properties ? [properties] : connection ? [connection] : NO_LAYERS;
    // The stream's filter state has the connection's as ancestor (HCM ActiveStream passes
    // connection().streamInfo().filterState() with LifeSpan::Connection to its FilterManager:
    // source/common/http/conn_manager_impl.cc; parent chain: source/common/stream_info/filter_state_impl.cc).
    const parent = options.connectionFilterState ?? new FilterState(LifeSpan.Connection);
    this.filterState = new FilterState(LifeSpan.Request, parent);
    if (connection || properties) {
      for (const [k, v] of Object.entries({ ...connection, ...properties })) {
        if (k.startsWith("filter_state.") && v !== null && (typeof v === "string" || v instanceof Uint8Array)) {
          // filter_state.* props are exposed as real filter-state objects.
          if (!this.filterState.has(k.slice(13))) parent.set(k.slice(13), v);
        }
      }
    }
    this.worker = host.assignWorker(options.worker);
    this.slots = [];
    for (const plugin of options.filters) {
      const inst = host.prepareForStream(plugin, this.worker);
      if (!inst) continue; // not running on this worker, or FAIL_OPEN after a failure: filter not installed
      const ctx = inst.vm.newContext(inst.root.id, plugin, inst.root);
      ctx.owner = this;
      ctx.position = this.slots.length;
      this.slots.push({ plugin, ctx, active: true });
    }
    this.decode = new Direction(this, false, this.slots.length, this.upstreamRequest);
    this.encode = new Direction(this, true, this.slots.length, this.downstreamResponse);
  }

  get props(): PropertySource { return this; }

  // ---- test driving API ----

  sendRequestHeaders(headers: RawHeaderList, endOfStream = false): this {
    if (this.decode.started || this.reset) return this;
    const map = new HeaderMap(headers);
    this.requestHeaders = map;
    this.decode.pushHeaders(map, endOfStream);
    this.host.dispatch();
    return this;
  }

  sendRequestBody(data: Uint8Array | string, endOfStream = false): this {
    if (!this.decode.started || this.decode.halted || this.reset) return this;
    this.decode.pushData(toBytes(data), endOfStream);
    this.host.dispatch();
    return this;
  }

  sendRequestTrailers(trailers: HeaderList): this {
    if (!this.decode.started || this.decode.halted || this.reset) return this;
    this.decode.pushTrailers(new HeaderMap(trailers));
    this.host.dispatch();
    return this;
  }

  sendResponseHeaders(headers: HeaderList, endOfStream = false): this {
    if (this.encode.started || this.reset || this.localResponse) return this;
    const map = new HeaderMap(headers);
    this.responseHeaders = map;
    this.encode.pushHeaders(map, endOfStream);
    this.host.dispatch();
    return this;
  }

  sendResponseBody(data: Uint8Array | string, endOfStream = false): this {
    if (!this.encode.started || this.encode.halted || this.reset || this.localResponse) return this;
    this.encode.pushData(toBytes(data), endOfStream);
    this.host.dispatch();
    return this;
  }

  sendResponseTrailers(trailers: HeaderList): this {
    if (!this.encode.started || this.encode.halted || this.reset || this.localResponse) return this;
    const map = new HeaderMap(trailers);
    this.responseTrailers = map;
    this.encode.pushTrailers(map);
    this.host.dispatch();
    return this;
  }

  /**
   * End of the stream: on_log for each filter, then on_done + on_delete for each. Envoy's
   * ConnectionManagerImpl::doDeferredStreamDestroy runs filter_manager_.log() (the Wasm filter is also an access
   * log handler: Context::log → proxy_on_log) before destroyFilters() (Context::onDestroy → proxy_on_done,
   * proxy_on_delete) (source/common/http/conn_manager_impl.cc; source/extensions/common/wasm/context.cc).
   */
  complete(): this {
    if (this.finished) return this;
    this.finished = true;
    this.completedAtMs = this.host.clock.nowMs;
    for (const slot of this.slots) this.logFilter(slot);
    for (const slot of this.slots) this.destroyFilter(slot);
    this.host.dispatch();
    return this;
  }

  /** True when the request is held somewhere in the decode chain. */
  get requestPaused(): boolean { return this.decode.started && this.decode.headersPos < this.decode.n && !this.decode.halted; }
  get responsePaused(): boolean { return this.encode.started && this.encode.headersPos < this.encode.n && !this.encode.halted; }
  /** VmContext ids of the filters, in chain order. */
  get contextIds(): number[] { return this.slots.map((s) => s.ctx.id); }

  // ---- PropertySource ----
  responseCode(): number {
    const s = this.responseHeaders?.get(":status") ?? this.downstreamResponse.headerMap?.get(":status");
    return s ? statusCode(s) : 0;
  }
  responseCodeDetails(): string | null { return this.codeDetails ?? (this.responseHeaders ? "via_upstream" : null); }
  requestBytesReceived(): number { return this.decode.bytes; }
  responseBytesSent(): number { return this.downstreamResponse.body.length; }
  completed(): boolean { return this.completedAtMs >= 0; }
  startTimeNs(): bigint { return msToNanos(this.startMs); }
  durationNs(): bigint { return msToNanos(this.completed() ? this.completedAtMs : this.host.clock.nowMs) - this.startTimeNs(); }

  // ---- callbacks from the directions ----

  onSinkHeaders(_dir: Direction): void {}
  onSinkData(_dir: Direction, _chunk: Uint8Array): void {}
  onSinkTrailers(_dir: Direction): void {}

  private onCreate(slot: Slot): void {
    const ctx = slot.ctx;
    const vm = slot.ctx.vm;
    if (!vm.failed && !ctx.createdInVm && vm.onContextCreate) {
      vm.invoke(ctx, "proxy_on_context_create", vm.onContextCreate, ctx.id, ctx.parentId);
      vm.afterCall();
    }
    ctx.createdInVm = true;
  }

  /** CHECK_FAIL (failure.ts): fail-open → `open`; fail-closed → fail the stream once, `closed`. */
  private failed(slot: Slot, open: number, closed: number): number {
    return continueAfterFailure(slot.plugin, slot.ctx) ? open : closed;
  }

  callHeaders(dir: Direction, p: number): number {
    const slot = this.slots[dir.slotAt(p)];
    const ctx = slot.ctx;
    const vm = slot.ctx.vm;
    const map = dir.headers!;
    if (!dir.response) this.onCreate(slot);
    else if (!ctx.createdInVm || ctx.failureLocalReplySent) return HeadersStatus.Continue;
    if (vm.failed) return this.failed(slot, HeadersStatus.Continue, HeadersStatus.StopAllIterationAndWatermark);
    const fn = dir.response ? vm.onResponseHeaders : vm.onRequestHeaders;
    if (!fn) return HeadersStatus.Continue;
    if (dir.response) ctx.responseHeaders = map; else ctx.requestHeaders = map;
    ctx.endOfStream = dir.headersEos;
    dir.calling = p;
    dir.continuePending = false;
    const raw = vm.abi === "0.1.0"
      ? vm.invoke(ctx, dir.response ? "proxy_on_response_headers" : "proxy_on_request_headers", fn, ctx.id, map.size)
      : vm.invoke(ctx, dir.response ? "proxy_on_response_headers" : "proxy_on_request_headers", fn, ctx.id, map.size, dir.headersEos ? 1 : 0);
    let st: number;
    if (vm.failed) st = this.failed(slot, HeadersStatus.Continue, HeadersStatus.StopAllIterationAndWatermark);
    else st = mapHeadersStatus(raw, vm.stopNextIteration, slot.plugin.allowOnHeadersStopIteration);
    vm.afterCall();
    dir.calling = -1;
    if (st !== HeadersStatus.Continue && dir.continuePending && !vm.failed) st = HeadersStatus.Continue;
    if (st === HeadersStatus.Continue) {
      if (dir.response) ctx.responseHeaders = null; else ctx.requestHeaders = null;
    }
    return st;
  }

  callData(dir: Direction, p: number, buffer: BodyBuffer, eos: boolean): number {
    const slot = this.slots[dir.slotAt(p)];
    const ctx = slot.ctx;
    const vm = slot.ctx.vm;
    if (!ctx.createdInVm) return DataStatus.Continue;
    if (dir.response && ctx.failureLocalReplySent) return DataStatus.Continue;
    if (vm.failed) return this.failed(slot, DataStatus.Continue, DataStatus.StopIterationNoBuffer);
    const fn = dir.response ? vm.onResponseBody : vm.onRequestBody;
    if (!fn) return DataStatus.Continue;
    if (dir.response) { ctx.responseBody = buffer; ctx.inResponseBody = true; } else { ctx.requestBody = buffer; ctx.inRequestBody = true; }
    ctx.endOfStream = eos;
    dir.calling = p;
    dir.continuePending = false;
    const raw = vm.invoke(ctx, dir.response ? "proxy_on_response_body" : "proxy_on_request_body", fn, ctx.id, buffer.length, eos ? 1 : 0);
    let st: number;
    if (vm.failed) st = this.failed(slot, DataStatus.Continue, DataStatus.StopIterationNoBuffer);
    else st = mapDataStatus(raw, vm.stopNextIteration);
    vm.afterCall();
    dir.calling = -1;
    if (dir.response) ctx.inResponseBody = false; else ctx.inRequestBody = false;
    if (st !== DataStatus.Continue && dir.continuePending && !vm.failed) st = DataStatus.Continue;
    if (st === DataStatus.Continue) {
      if (dir.response) ctx.responseBody = null; else ctx.requestBody = null;
    }
    return st;
  }

  callTrailers(dir: Direction, p: number): number {
    const slot = this.slots[dir.slotAt(p)];
    const ctx = slot.ctx;
    const vm = slot.ctx.vm;
    const map = dir.trailers!;
    if (!ctx.createdInVm) return TrailersStatus.Continue;
    if (dir.response && ctx.failureLocalReplySent) return TrailersStatus.Continue;
    if (vm.failed) return this.failed(slot, TrailersStatus.Continue, TrailersStatus.StopIteration);
    const fn = dir.response ? vm.onResponseTrailers : vm.onRequestTrailers;
    if (!fn) return TrailersStatus.Continue;
    if (dir.response) ctx.responseTrailers = map; else ctx.requestTrailers = map;
    dir.calling = p;
    dir.continuePending = false;
    const raw = vm.invoke(ctx, dir.response ? "proxy_on_response_trailers" : "proxy_on_request_trailers", fn, ctx.id, map.size);
    let st: number;
    if (vm.failed) st = this.failed(slot, TrailersStatus.Continue, TrailersStatus.StopIteration);
    else st = mapTrailersStatus(raw, vm.stopNextIteration);
    vm.afterCall();
    dir.calling = -1;
    if (st !== TrailersStatus.Continue && dir.continuePending && !vm.failed) st = TrailersStatus.Continue;
    if (st === TrailersStatus.Continue) {
      if (dir.response) ctx.responseTrailers = null; else ctx.requestTrailers = null;
    }
    return st;
  }

  // ---- StreamOwner (hostcall side) ----

  continueStream(ctx: VmContext, streamType: number): void {
    const dir = streamType === StreamType.Request ? this.decode : this.encode;
    dir.continueAt(dir.positionOf(ctx.position));
  }

  closeStream(ctx: VmContext, _streamType: number): void {
    if (this.codeDetails === null) this.codeDetails = "wasm_close_stream";
    this.resetStream(this.codeDetails);
  }

  private resetStream(details: string): void {
    if (this.reset) return;
    this.reset = { details };
    this.decode.halted = true;
    this.encode.halted = true;
  }

  sendLocalReply(ctx: VmContext, reply: PendingLocalReply): void {
    if (this.reset || this.finished) return;
    const isGrpc = (this.requestHeaders?.get("content-type") ?? "").startsWith("application/grpc");
    const built = buildLocalReply(reply, isGrpc);
    const record: LocalResponse = {
      status: reply.status,
      headers: reply.headers.map(([k, v]) => [k, v] as [string, string]),
      body: reply.body,
      get bodyText() { return bytesToString(this.body); },
      details: reply.details,
      grpcStatus: reply.grpcStatus,
    };
    this.codeDetails = reply.details;
    this.decode.halted = true;
    if (!this.encode.started) {
      // sendLocalReplyViaFilterChain: through every encoder filter.
      this.localResponse = record;
      this.responseHeaders = built.headers;
      const bodyEmpty = built.body.length === 0;
      this.encode.pushHeaders(built.headers, bodyEmpty);
      if (!bodyEmpty && !this.encode.halted) this.encode.pushData(built.body, true);
    } else if (this.downstreamResponse.headerMap === null) {
      // sendDirectLocalReply: response started but nothing sent downstream yet — bypass the filters.
      this.localResponse = record;
      this.encode.halted = true;
      this.responseHeaders = built.headers;
      this.downstreamResponse.forwardHeaders(built.headers);
      this.downstreamResponse.body = built.body;
      this.downstreamResponse.trailers = null;
      this.downstreamResponse.endStream = true;
    } else {
      this.resetStream(reply.details);
    }
  }

  failStream(ctx: VmContext): void {
    // envoy context.cc failStream: 503 local reply, gRPC Unavailable, details "wasm_fail_stream", once.
    if (ctx.failureLocalReplySent) return;
    ctx.failureLocalReplySent = true;
    this.sendLocalReply(ctx, { status: 503, details: FAIL_STREAM_DETAILS, body: new Uint8Array(0), headers: [], grpcStatus: 14 });
  }

  addTrailers(ctx: VmContext, response: boolean): HeaderMap {
    const dir = response ? this.encode : this.decode;
    const map = new HeaderMap();
    dir.trailers = map;
    dir.hasTrailers = true;
    dir.addedTrailersAt = dir.positionOf(ctx.position);
    if (response) this.responseTrailers = map;
    return map;
  }

  clearRouteCache(): void { this.routeCacheClears++; }

  // ---- teardown ----

  private logFilter(slot: Slot): void {
    const ctx = slot.ctx;
    const vm = slot.ctx.vm;
    if (!ctx.createdInVm) this.onCreate(slot); // Context::log creates the context if the request never reached it
    if (vm.failed || !vm.onLog) return;
    ctx.accessLogPhase = true;
    ctx.logRequestHeaders = this.requestHeaders;
    ctx.logResponseHeaders = this.responseHeaders;
    ctx.logResponseTrailers = this.responseTrailers;
    vm.invoke(ctx, "proxy_on_log", vm.onLog, ctx.id);
    vm.afterCall();
    ctx.accessLogPhase = false;
    ctx.logRequestHeaders = ctx.logResponseHeaders = ctx.logResponseTrailers = null;
  }

  private destroyFilter(slot: Slot): void {
    const ctx = slot.ctx;
    const vm = slot.ctx.vm;
    if (ctx.destroyed || !ctx.createdInVm) { vm.contexts.delete(ctx.id); return; }
    ctx.destroyed = true;
    // on_done's result is ignored for stream contexts.
    if (!vm.failed && vm.onDone) { vm.invoke(ctx, "proxy_on_done", vm.onDone, ctx.id); vm.afterCall(); }
    if (!vm.failed && vm.onDelete) { vm.invoke(ctx, "proxy_on_delete", vm.onDelete, ctx.id); vm.afterCall(); }
    ctx.owner = null;
    vm.contexts.delete(ctx.id);
  }
}

/**
 * The response code Envoy records for a `:status` value: Http::Utility::getResponseStatusOrNullopt parses it with
 * absl::SimpleAtoi into a uint64 (absent when that fails), and StreamInfo keeps it as a uint32
 * (source/common/http/utility.cc, envoy/stream_info/stream_info.h). 0 = no code.
 */
export function statusCode(status: string): number {
  const value = simpleAtoiU64(status);
  return value === null ? 0 : Number(BigInt.asUintN(32, value));
}

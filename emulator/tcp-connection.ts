// One downstream connection through a chain of Wasm network filters ending in a tcp_proxy-like sink, modelled
// on Envoy's network FilterManagerImpl (source/common/network/filter_manager_impl.cc: read filters appended,
// write filters prepended — so writes run in reverse order) and the Wasm network filter (envoy
// source/extensions/common/wasm/context.cc onNewConnection/onData/onWrite/onEvent/onCloseTCP):
// - every read starts again at the first filter with the whole read buffer; StopIteration leaves the bytes
//   buffered; proxy_continue_stream(DOWNSTREAM) resumes with the next filter;
// - onWrite with end_stream also calls proxy_on_upstream_connection_close(Unknown);
// - close events: proxy_on_downstream_connection_close(Local=1|Remote=2), then done → log → delete;
// - proxy_close_stream(DOWNSTREAM|UPSTREAM) both close the downstream connection (FlushWrite), deferred.
import type { Plugin } from "./plugin.ts";
import type { Host } from "./host.ts";
import type { Context, PendingLocalReply, StreamOwner } from "./context.ts";
import type { Props, TcpConnectionOptions } from "./index.ts";
import type { HeaderMap } from "./header-map.ts";
import { BodyBuffer } from "./body-buffer.ts";
import { FilterState, LifeSpan } from "./filter-state.ts";
import type { PropertySource } from "./properties.ts";
import { PeerType, StreamType } from "./constants.ts";
import { toBytes, bytesToString } from "./memory.ts";
import { continueAfterFailure } from "./failure.ts";
import { msToNanos } from "./timers.ts";

const EMPTY = new Uint8Array(0);

/** `connection.*` properties Envoy reads from a finished TLS handshake (CEL attribute names). */
const HANDSHAKE_PROPERTY = /^connection\.(mtls|tls_version|subject_(local|peer)_certificate|(dns|uri)_san_(local|peer)_certificate|sha256_peer_certificate_digest)$/;

/** The connection's properties before the TLS handshake: null when it is no TLS connection (nothing to hide). */
function withoutHandshakeProperties(props: Props): Props[] | null {
  const keys = Object.keys(props);
  if (!keys.some((k) => HANDSHAKE_PROPERTY.test(k))) return null;
  const before: Props = {};
  for (const k of keys) if (!HANDSHAKE_PROPERTY.test(k)) before[k] = props[k];
  return [before];
}
const NO_LAYERS: Props[] = [];

interface Slot { plugin: Plugin; ctx: Context; initialized: boolean }

export class TcpConnection implements StreamOwner, PropertySource {
  readonly kind = "tcp" as const;
  readonly host: Host;
  readonly slots: Slot[];
  readonly filterState = new FilterState(LifeSpan.Connection);
  private readonly allLayers: Props[];
  /** The layers without the TLS handshake's properties, served until the handshake is over. */
  private readonly preHandshakeLayers: Props[] | null;
  /** Data flowed or the connection closed: on a TLS connection the handshake is over. */
  private handshakeDone = false;
  readonly connectionId: number;
  /** The worker thread the connection runs on. */
  readonly worker: number;
  private readonly startMs: number;
  /** Bytes forwarded to the upstream (by the terminal tcp_proxy) and to the downstream client. */
  toUpstream: Uint8Array = EMPTY;
  toDownstream: Uint8Array = EMPTY;
  /** The upstream half-closed (end_stream forwarded upstream) / downstream got end_stream. */
  upstreamEndStream = false;
  downstreamEndStream = false;
  /** Set once the connection is closed: details e.g. "wasm_downstream_close", "remote", "local". */
  closed: { details: string; by: "local" | "remote" } | null = null;
  /** All read filters passed on_new_connection: the terminal filter opened its upstream connection. */
  upstreamConnected = false;
  private readBuffer = new BodyBuffer();
  private readEos = false;
  private opened = false;

  constructor(host: Host, options: TcpConnectionOptions, connectionId: number) {
    this.host = host;
    this.connectionId = connectionId;
    this.startMs = host.clock.nowMs;
    const props = options.properties;
    this.allLayers = props ? [props] : NO_LAYERS;
    this.preHandshakeLayers = props ? withoutHandshakeProperties(props) : null;
    if (props) {
      for (const k in props) {
        const v = props[k];
        if (k.startsWith("filter_state.") && v !== null && (typeof v === "string" || v instanceof Uint8Array)) {
          this.filterState.set(k.slice(13), v);
        }
      }
    }
    this.worker = host.assignWorker(options.worker);
    this.slots = [];
    for (const plugin of options.filters) {
      const inst = host.prepareForStream(plugin, this.worker);
      if (!inst) continue;
      const ctx = inst.vm.newContext(inst.root.id, plugin, inst.root);
      ctx.owner = this;
      ctx.position = this.slots.length;
      this.slots.push({ plugin, ctx, initialized: false });
    }
  }

  get props(): PropertySource { return this; }

  /**
   * Envoy creates a TLS connection's network filters, and calls their onNewConnection, when the connection is
   * accepted — before the handshake — and delivers data only after it; so the peer and local certificate properties
   * (connection.mtls, connection.uri_san_peer_certificate, …) are empty in proxy_on_new_connection and set from the
   * first data callback on (observed on Envoy 1.36.2 and 1.40.0, envoy-configs/README.md "Found by running real
   * Envoy"; envoyproxy/envoy:source/common/tls/ssl_socket.cc reads them from the finished handshake).
   */
  get layers(): Props[] {
    return this.handshakeDone || this.preHandshakeLayers === null ? this.allLayers : this.preHandshakeLayers;
  }
  get toUpstreamText(): string { return bytesToString(this.toUpstream); }
  get toDownstreamText(): string { return bytesToString(this.toDownstream); }
  get contextIds(): number[] { return this.slots.map((s) => s.ctx.id); }

  // ---- test driving API ----

  /** The connection is accepted: on_context_create + on_new_connection per filter, in order. */
  open(): this {
    if (this.opened) return this;
    this.opened = true;
    this.runRead(0);
    this.host.dispatch();
    return this;
  }

  /** Bytes from the client (read path). */
  downstreamData(data: Uint8Array | string, endOfStream = false): this {
    if (!this.opened) this.open();
    if (this.closed) return this;
    this.handshakeDone = true;
    this.readBuffer.append(toBytes(data));
    if (endOfStream) this.readEos = true;
    this.runRead(0);
    this.host.dispatch();
    return this;
  }

  /** Bytes from the upstream towards the client (write path, filters in reverse order). */
  upstreamData(data: Uint8Array | string, endOfStream = false): this {
    if (!this.opened) this.open();
    if (this.closed) return this;
    this.handshakeDone = true;
    const buf = new BodyBuffer();
    buf.append(toBytes(data));
    for (let i = this.slots.length - 1; i >= 0; i--) { // write filters run in reverse order
      const slot = this.slots[i];
      const ctx = slot.ctx;
      const vm = slot.ctx.vm;
      if (!ctx.createdInVm) continue;
      let stop = false;
      if (vm.failed) stop = this.failed(slot);
      else if (vm.onUpstreamData) {
        ctx.upstreamData = buf;
        ctx.endOfStream = endOfStream;
        const raw = vm.invoke(ctx, "proxy_on_upstream_data", vm.onUpstreamData, ctx.id, buf.length, endOfStream ? 1 : 0);
        stop = vm.failed ? this.failed(slot) : raw !== 0;
        vm.afterCall();
        if (!stop) ctx.upstreamData = null;
      }
      if (endOfStream) this.upstreamClose(slot, PeerType.Unknown);
      if (stop || this.closed) { this.host.dispatch(); return this; }
    }
    this.toDownstream = concat(this.toDownstream, buf.data);
    if (endOfStream) this.downstreamEndStream = true;
    this.host.dispatch();
    return this;
  }

  /** The client closed ("remote") or Envoy closed the downstream connection ("local"). */
  closeDownstream(how: "remote" | "local" = "remote"): this {
    this.closeConnection(how === "remote" ? "remote" : "local", how);
    this.host.dispatch();
    return this;
  }

  /** The upstream closed: tcp_proxy closes the downstream connection (FlushWrite) → LocalClose event. */
  closeUpstream(_how: "remote" | "local" = "remote"): this {
    this.closeConnection("upstream_close", "local");
    this.host.dispatch();
    return this;
  }

  // ---- read path ----

  /**
   * FilterManagerImpl::onContinueReading: from `from`, initialise filters not yet initialised
   * (on_new_connection) and hand the read buffer to each (on_downstream_data) while they continue.
   */
  private runRead(from: number): void {
    for (let p = from; p < this.slots.length; p++) {
      if (this.closed) return;
      const slot = this.slots[p];
      const ctx = slot.ctx;
      const vm = slot.ctx.vm;
      if (!slot.initialized) {
        slot.initialized = true;
        // Context::onNewConnection → onCreate, then proxy_on_new_connection.
        if (!vm.failed && !ctx.createdInVm && vm.onContextCreate) {
          vm.invoke(ctx, "proxy_on_context_create", vm.onContextCreate, ctx.id, ctx.parentId);
          vm.afterCall();
        }
        ctx.createdInVm = true;
        let stop = false;
        if (vm.failed) stop = this.failed(slot);
        else if (vm.onNewConnection) {
          const raw = vm.invoke(ctx, "proxy_on_new_connection", vm.onNewConnection, ctx.id);
          stop = vm.failed ? this.failed(slot) : raw !== 0;
          vm.afterCall();
        }
        if (this.closed || stop) return;
      }
      if (this.readBuffer.length === 0 && !this.readEos) continue;
      if (!ctx.createdInVm) continue;
      let stop = false;
      if (vm.failed) stop = this.failed(slot);
      else if (vm.onDownstreamData) {
        ctx.downstreamData = this.readBuffer;
        ctx.endOfStream = this.readEos;
        const raw = vm.invoke(ctx, "proxy_on_downstream_data", vm.onDownstreamData, ctx.id, this.readBuffer.length, this.readEos ? 1 : 0);
        stop = vm.failed ? this.failed(slot) : raw !== 0;
        vm.afterCall();
        if (!stop) ctx.downstreamData = null;
      }
      if (this.closed || stop) return;
    }
    // Terminal filter (tcp_proxy): its onNewConnection opens the upstream; its onData forwards and drains.
    this.upstreamConnected = true;
    if (this.readBuffer.length) this.toUpstream = concat(this.toUpstream, this.readBuffer.drainAll());
    if (this.readEos) this.upstreamEndStream = true;
  }

  // ---- StreamOwner ----

  continueStream(ctx: Context, _streamType: number): void {
    if (this.closed) return;
    // continueReading(): resume with the next filter (the caller is not re-invoked for the same bytes).
    this.runRead(ctx.position + 1);
  }

  closeStream(_ctx: Context, streamType: number): void {
    this.closeConnection(streamType === StreamType.Downstream ? "wasm_downstream_close" : "wasm_upstream_close", "local");
  }

  sendLocalReply(_ctx: Context, _reply: PendingLocalReply): void {
    // No-op from a network filter (no decoder callbacks).
  }

  failStream(_ctx: Context): void {
    this.closeConnection("wasm_fail_stream", "local");
  }

  addTrailers(): HeaderMap { throw new Error("no trailers on a TCP connection"); }
  clearRouteCache(): void {}

  // ---- PropertySource ----
  responseCode(): number { return 0; }
  responseCodeDetails(): string | null { return null; }
  requestBytesReceived(): number { return 0; }
  responseBytesSent(): number { return 0; }
  completed(): boolean { return this.closed !== null; }
  startTimeNs(): bigint { return msToNanos(this.startMs); }
  durationNs(): bigint { return this.host.clock.nowNanos() - this.startTimeNs(); }

  // ---- close / teardown ----

  /** CHECK_FAIL (failure.ts): returns true when the filter must stop. */
  private failed(slot: Slot): boolean {
    return !continueAfterFailure(slot.plugin, slot.ctx);
  }

  private upstreamClose(slot: Slot, peer: number): void {
    const ctx = slot.ctx;
    const vm = slot.ctx.vm;
    if (!vm.failed && vm.onUpstreamConnectionClose) {
      vm.invoke(ctx, "proxy_on_upstream_connection_close", vm.onUpstreamConnectionClose, ctx.id, peer);
      vm.afterCall();
    }
    ctx.upstreamClosed = true;
    if (ctx.downstreamClosed) this.closeTcp(slot);
  }

  private closeConnection(details: string, by: "local" | "remote"): void {
    // A connection that closes after its handshake shows the certificates to proxy_on_log too.
    this.handshakeDone = true;
    if (this.closed) return;
    this.closed = { details, by };
    const peer = by === "remote" ? PeerType.Remote : PeerType.Local;
    // Connection callbacks run in the order the filters registered them (filter creation order).
    for (const slot of this.slots) {
      const ctx = slot.ctx;
      const vm = slot.ctx.vm;
      if (!ctx.createdInVm) continue; // onEvent ignores contexts never created
      if (!vm.failed && vm.onDownstreamConnectionClose) {
        vm.invoke(ctx, "proxy_on_downstream_connection_close", vm.onDownstreamConnectionClose, ctx.id, peer);
        vm.afterCall();
      }
      ctx.downstreamClosed = true;
      this.closeTcp(slot);
    }
  }

  /** onCloseTCP: done → log → delete, once. */
  private closeTcp(slot: Slot): void {
    const ctx = slot.ctx;
    const vm = slot.ctx.vm;
    if (ctx.tcpClosed || !ctx.createdInVm) return;
    ctx.tcpClosed = true;
    if (!vm.failed && vm.onDone) { vm.invoke(ctx, "proxy_on_done", vm.onDone, ctx.id); vm.afterCall(); }
    if (!vm.failed && vm.onLog) { vm.invoke(ctx, "proxy_on_log", vm.onLog, ctx.id); vm.afterCall(); }
    if (!vm.failed && vm.onDelete) { vm.invoke(ctx, "proxy_on_delete", vm.onDelete, ctx.id); vm.afterCall(); }
    vm.contexts.delete(ctx.id);
  }
}

/** a + b; `b` is owned by the caller's buffer and handed over, so it is not copied when `a` is empty. */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a); out.set(b, a.length);
  return out;
}

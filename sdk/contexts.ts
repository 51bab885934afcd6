// The classes a filter author extends, and the registry of root-context factories.
//
// One VM can host several plugins; each gets its own root context, chosen by the plugin's `root_id`
// (`plugin_root_id` property). HTTP and TCP stream contexts are created by their root on the first callback that
// tells which kind of stream it is (newHttpContext / newTcpContext).
import {
  BufferType, FilterDataStatus, FilterHeadersStatus, FilterStatus, FilterTrailersStatus, GrpcStatus, PeerType, StreamType, WasmResult,
} from "./types";
import * as host from "./hostcalls";
import { HeaderPair } from "./pairs";

// Contexts waiting for a callout answer, by token (the host delivers every answer to the root context).
export const calloutOwners = new Map<u32, Context>();

/** Behaviour shared by root and stream contexts: callouts, whose answers come back to the context that made them. */
export class Context {
  constructor(public readonly id: u32) {}

  /**
   * HTTP callout to `cluster` (headers need :method, :path, :authority). The answer arrives in
   * this.onHttpCallResponse. Returns the token, 0 on failure (see lastStatus()).
   */
  httpCall(cluster: string, headers: HeaderPair[], body: ArrayBuffer | null, trailers: HeaderPair[] | null, timeoutMs: u32): u32 {
    return this.owned(host.httpCall(cluster, headers, body, trailers, timeoutMs));
  }

  /**
   * Unary gRPC call; `service` is a serialized GrpcService (or a cluster name). Answers arrive in the
   * onGrpc* callbacks. Returns the token, 0 on failure.
   */
  grpcCall(service: ArrayBuffer, serviceName: string, method: string, initialMetadata: HeaderPair[] | null,
    message: ArrayBuffer | null, timeoutMs: u32): u32 {
    return this.owned(host.grpcCall(service, serviceName, method, initialMetadata, message, timeoutMs));
  }

  /** Opens a gRPC stream (send with host grpcSend). Returns the token, 0 on failure. */
  grpcStream(service: ArrayBuffer, serviceName: string, method: string, initialMetadata: HeaderPair[] | null): u32 {
    return this.owned(host.grpcStream(service, serviceName, method, initialMetadata));
  }

  /** Records this context as the owner of callout `token` (0: the call failed, nothing to record). */
  private owned(token: u32): u32 {
    if (token != 0) calloutOwners.set(token, this);
    return token;
  }

  /**
   * numHeaders == 0 means the call failed (reset/overflow; getCalloutStatus() says why). Headers, body and
   * trailers are readable only during this callback (httpCallResponseHeaders, httpCallResponseBody...).
   */
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {}
  onGrpcReceiveInitialMetadata(token: u32, numElements: u32): void {}
  onGrpcReceive(token: u32, messageSize: u32): void {}
  onGrpcReceiveTrailingMetadata(token: u32, numElements: u32): void {}
  onGrpcClose(token: u32, statusCode: u32): void {}
}

/** One per plugin: configuration, timers, shared state, and the factory of stream contexts. */
export class RootContext extends Context {
  /** The plugin's root_id (set by the dispatcher before onVmStart). */
  rootId: string = "";

  /** Return false to fail the VM start. vmConfigurationSize: bytes in vmConfiguration. */
  onVmStart(vmConfigurationSize: u32): bool {
    return true;
  }

  /**
   * Parse and validate the plugin configuration (pluginConfiguration / this.getPluginConfiguration(), only
   * readable here). Return false to reject it; log which JSON path was wrong first.
   */
  onConfigure(pluginConfigurationSize: u32): bool {
    return true;
  }

  /** Timer callback (setTickPeriod). */
  onTick(): void {}

  onQueueReady(queueToken: u32): void {}

  onForeignFunction(functionId: u32, argumentsSize: u32): void {}

  /** Return false to delay shutdown until this.done(). */
  onDone(): bool {
    return true;
  }

  onDelete(): void {}

  /** Return the context for a new HTTP stream, or null to let it pass untouched. */
  newHttpContext(contextId: u32): HttpContext | null {
    return null;
  }

  /** Return the context for a new TCP connection, or null to let it pass untouched. */
  newTcpContext(contextId: u32): TcpContext | null {
    return null;
  }

  /** The plugin configuration as text ("" when empty or unavailable — it is readable only in onConfigure). */
  getPluginConfiguration(): string {
    const text = host.getBufferString(BufferType.PluginConfiguration, 0, 0xFFFFFFFF);
    return text === null ? "" : text;
  }

  /** vm_config.configuration as text ("" when empty). */
  getVmConfiguration(): string {
    const text = host.getBufferString(BufferType.VmConfiguration, 0, 0xFFFFFFFF);
    return text === null ? "" : text;
  }

  /** Calls onTick every periodMs milliseconds (0 stops the timer). One timer per root context. */
  setTickPeriod(periodMs: u32): WasmResult {
    return host.setTickPeriodMilliseconds(periodMs);
  }

  /** Completes a shutdown that onDone delayed. */
  done(): WasmResult {
    return host.done();
  }
}

/** What HTTP and TCP stream contexts share: the root that created them and the end-of-stream callbacks. */
export class StreamContext extends Context {
  constructor(id: u32, public readonly root: RootContext) {
    super(id);
  }

  /**
   * Access-log phase, once the stream is complete. HTTP: before onDone, headers read-only. TCP: Envoy's order is
   * onDone, onLog, onDelete, after the downstream connection closed.
   */
  onLog(): void {}
  /** The return value is ignored by Envoy for stream contexts. */
  onDone(): bool {
    return true;
  }
  onDelete(): void {}
}

/** One per HTTP request/response exchange. Override the callbacks you need; defaults continue. */
export class HttpContext extends StreamContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    return FilterHeadersStatus.Continue;
  }
  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    return FilterDataStatus.Continue;
  }
  onRequestTrailers(numTrailers: u32): FilterTrailersStatus {
    return FilterTrailersStatus.Continue;
  }
  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    return FilterHeadersStatus.Continue;
  }
  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    return FilterDataStatus.Continue;
  }
  onResponseTrailers(numTrailers: u32): FilterTrailersStatus {
    return FilterTrailersStatus.Continue;
  }

  /**
   * Replies locally instead of forwarding (sent when the callback returns; Envoy then ignores its result).
   * grpcStatus GrpcStatus.None = no grpc-status.
   */
  sendLocalResponse(statusCode: u32, details: string, body: string = "", headers: HeaderPair[] | null = null,
    grpcStatus: GrpcStatus = GrpcStatus.None): WasmResult {
    return host.sendLocalResponse(statusCode, details, body, headers, grpcStatus);
  }

  /** Resumes a request paused by a Stop* result (deferred until the callback returns). */
  continueRequest(): WasmResult {
    return host.continueStream(StreamType.Request);
  }

  continueResponse(): WasmResult {
    return host.continueStream(StreamType.Response);
  }

  /** Resets the stream (Envoy details "wasm_close_stream"). */
  resetStream(): WasmResult {
    return host.closeStream(StreamType.Request);
  }
}

/** One per TCP connection through a network filter. Override the callbacks you need; defaults continue. */
export class TcpContext extends StreamContext {
  /** StopIteration holds back the following filters (e.g. tcp_proxy's upstream connect) until continueDownstream(). */
  onNewConnection(): FilterStatus {
    return FilterStatus.Continue;
  }
  /** Client → upstream bytes (downstreamData buffer). StopIteration keeps them buffered; the next call sees more. */
  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return FilterStatus.Continue;
  }
  /** Upstream → client bytes (upstreamData buffer). Never return StopIteration: Envoy cannot resume this path. */
  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return FilterStatus.Continue;
  }
  onDownstreamConnectionClose(peer: PeerType): void {}
  /** Envoy synthesises this (peer Unknown) after upstream data with end of stream. */
  onUpstreamConnectionClose(peer: PeerType): void {}

  /** Resumes the read path after StopIteration (deferred until the callback returns). */
  continueDownstream(): WasmResult {
    return host.continueStream(StreamType.Downstream);
  }

  /** Closes the downstream connection (flushing writes). */
  closeDownstream(): WasmResult {
    return host.closeStream(StreamType.Downstream);
  }

  /** Envoy closes the downstream connection for this too (the filter only sees one connection). */
  closeUpstream(): WasmResult {
    return host.closeStream(StreamType.Upstream);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Root-context registry.

export type RootContextFactory = (contextId: u32) => RootContext;

const factoryRootIds = new Array<string>();
const factories = new Array<RootContextFactory>();

/**
 * Registers the root context for plugins whose root_id is `rootId` ("" = the default for unmatched root ids).
 * Call at module top level. When exactly one factory is registered it serves every root_id.
 */
export function registerRootContext(rootId: string, factory: RootContextFactory): void {
  factoryRootIds.push(rootId);
  factories.push(factory);
}

/** The factory for `rootId`: exact match, else the "" registration, else the only one; null if none applies. */
export function findRootContextFactory(rootId: string): RootContextFactory | null {
  let fallback = -1;
  for (let i = 0, n = factoryRootIds.length; i < n; i++) {
    const id = unchecked(factoryRootIds[i]);
    if (id == rootId) return unchecked(factories[i]);
    if (id.length == 0) fallback = i;
  }
  if (fallback >= 0) return unchecked(factories[fallback]);
  if (factories.length == 1) return unchecked(factories[0]);
  return null;
}

/** Whether `rootId` selects a root by name: registered under it, or a catch-all registered under "". */
export function isRootIdRegistered(rootId: string): bool {
  return factoryRootIds.includes(rootId) || factoryRootIds.includes("");
}

/** Registered root ids, comma-separated (for error messages). */
export function registeredRootIds(): string {
  return factoryRootIds.join(",");
}

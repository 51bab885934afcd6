// The proxy_on_* exports Envoy calls, routed to the filter's contexts.
//
// Contexts live in one map by id. A stream context is created lazily: proxy_on_context_create only records the
// stream under its root (the map holds the root itself under the stream's id until then); the first callback
// that reveals the kind (proxy_on_new_connection → TCP, any HTTP callback → HTTP) asks the root for the
// context. This lets one root serve both network and HTTP filter instances.
//
// Garbage collection: the project builds with `--runtime minimal`, which never collects on its own and does not
// scan the stack. We collect only at quiescent points, on the way out of a host-entered export with no outer
// SDK frame (depth 1): after every `collectEvery`-th proxy_on_delete, after a deletion once the host handed
// over 1 MiB (or 1/32 of linear memory) since the last collection, after onConfigure, and after onTick.
// Everything still needed then is reachable from globals (the context map, registries, filter globals).
import { formatInt } from "./format";
import { FilterDataStatus, FilterHeadersStatus, FilterStatus, FilterTrailersStatus, LogLevel, PeerType } from "./types";
import {
  Context, HttpContext, RootContext, StreamContext, TcpContext, calloutOwners, findRootContextFactory, isRootIdRegistered,
  registeredRootIds,
} from "./contexts";
import { getPropertyString } from "./properties";
import { refreshLogLevel, log } from "./log";
import { logMessage, setEffectiveContext } from "./hostcalls";
import { hostBytesReceived, resetHostBytesReceived } from "./memory";

const contexts = new Map<u32, Context>();
const PLUGIN_ROOT_ID: string[] = ["plugin_root_id"];

let depth: i32 = 0;
let deletesSinceCollect: u32 = 0;
let collectEvery: u32 = 64;
const COLLECT_AFTER_HOST_BYTES: usize = 1024 * 1024;

/** Collect garbage after every `n`-th context deletion (default 64; 1 = after each). */
export function setCollectInterval(n: u32): void {
  collectEvery = n == 0 ? 1 : n;
}

// @ts-ignore: decorator
@inline function enter(): void {
  depth++;
}

// Leaves an export; collects when asked and no SDK frame is below this one.
// @ts-ignore: decorator
@inline function leave(collect: bool): void {
  if (collect && depth == 1) __collect();
  depth--;
}

/** A root whose root_id matched no registration: fails the plugin load with an explanation. */
class UnmatchedRootContext extends RootContext {
  onVmStart(vmConfigurationSize: u32): bool {
    logMessage(LogLevel.Critical, "no root context registered for root_id '" + this.rootId + "' (registered: " +
      registeredRootIds() + ")");
    return false;
  }
  onConfigure(pluginConfigurationSize: u32): bool {
    return false;
  }
}

function createRootContext(id: u32): void {
  refreshLogLevel();
  const name = getPropertyString(PLUGIN_ROOT_ID);
  const rootId = name === null ? "" : name;
  const factory = findRootContextFactory(rootId);
  // One registered root serves any root_id (as a lone root does elsewhere), but a typo should not pass unseen.
  if (factory !== null && !isRootIdRegistered(rootId)) {
    logMessage(LogLevel.Warn, "root_id '" + rootId + "' matches no registered root context; using the only one, '" +
      registeredRootIds() + "'");
  }
  const root = factory === null ? new UnmatchedRootContext(id) : factory(id);
  root.rootId = rootId;
  contexts.set(id, root);
}

function rootContext(id: u32): RootContext | null {
  if (!contexts.has(id)) return null;
  const ctx = contexts.get(id);
  return ctx.id == id && ctx instanceof RootContext ? changetype<RootContext>(ctx) : null;
}

function httpContext(id: u32): HttpContext | null {
  if (!contexts.has(id)) return null;
  const ctx = contexts.get(id);
  if (ctx.id == id) return ctx instanceof HttpContext ? changetype<HttpContext>(ctx) : null;
  const http = changetype<RootContext>(ctx).newHttpContext(id);
  if (http === null) contexts.delete(id);
  else contexts.set(id, http);
  return http;
}

function tcpContext(id: u32): TcpContext | null {
  if (!contexts.has(id)) return null;
  const ctx = contexts.get(id);
  if (ctx.id == id) return ctx instanceof TcpContext ? changetype<TcpContext>(ctx) : null;
  const tcp = changetype<RootContext>(ctx).newTcpContext(id);
  if (tcp === null) contexts.delete(id);
  else contexts.set(id, tcp);
  return tcp;
}

// The context that made callout `token` if it is still alive (the host always reports to the root). Stream
// owners become the effective context so continue/local-reply calls from the handler reach their stream.
function calloutOwner(token: u32, rootId: u32, finished: bool): Context | null {
  let owner: Context | null = null;
  if (calloutOwners.has(token)) {
    const candidate = calloutOwners.get(token);
    if (finished) calloutOwners.delete(token);
    if (contexts.has(candidate.id) && contexts.get(candidate.id) === candidate) owner = candidate;
  } else {
    owner = rootContext(rootId);
  }
  if (owner !== null && owner.id != rootId) setEffectiveContext(owner.id);
  return owner;
}

// ---------------------------------------------------------------------------------------------------------------
// Lifecycle

export function proxy_on_context_create(contextId: u32, parentContextId: u32): void {
  enter();
  if (parentContextId == 0) {
    createRootContext(contextId);
  } else if (contexts.has(parentContextId)) {
    contexts.set(contextId, contexts.get(parentContextId));
  }
  leave(false);
}

export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: u32): u32 {
  enter();
  const root = rootContext(rootContextId);
  const ok = root !== null && root.onVmStart(vmConfigurationSize);
  leave(false);
  return ok ? 1 : 0;
}

export function proxy_on_configure(rootContextId: u32, pluginConfigurationSize: u32): u32 {
  enter();
  refreshLogLevel();
  const root = rootContext(rootContextId);
  const ok = root !== null && root.onConfigure(pluginConfigurationSize);
  leave(true);
  return ok ? 1 : 0;
}

export function proxy_on_tick(rootContextId: u32): void {
  enter();
  refreshLogLevel();
  const root = rootContext(rootContextId);
  if (root !== null) root.onTick();
  leave(true);
}

export function proxy_on_queue_ready(rootContextId: u32, queueToken: u32): void {
  enter();
  const root = rootContext(rootContextId);
  if (root !== null) root.onQueueReady(queueToken);
  leave(false);
}

export function proxy_on_foreign_function(rootContextId: u32, functionId: u32, argumentsSize: u32): void {
  enter();
  const root = rootContext(rootContextId);
  if (root !== null) root.onForeignFunction(functionId, argumentsSize);
  leave(false);
}

export function proxy_on_done(contextId: u32): u32 {
  enter();
  let done = true;
  if (contexts.has(contextId)) {
    const ctx = contexts.get(contextId);
    if (ctx.id == contextId) {
      if (ctx instanceof RootContext) done = changetype<RootContext>(ctx).onDone();
      else if (ctx instanceof StreamContext) changetype<StreamContext>(ctx).onDone();
    }
  }
  leave(false);
  return done ? 1 : 0;
}

export function proxy_on_log(contextId: u32): void {
  enter();
  if (contexts.has(contextId)) {
    const ctx = contexts.get(contextId);
    if (ctx.id != contextId) {
      // Never materialised: an HTTP request rejected before this filter saw it (TCP always starts with on_new_connection).
      const http = httpContext(contextId);
      if (http !== null) http.onLog();
    } else if (ctx instanceof StreamContext) {
      changetype<StreamContext>(ctx).onLog();
    }
  }
  leave(false);
}

export function proxy_on_delete(contextId: u32): void {
  enter();
  if (contexts.has(contextId)) {
    const ctx = contexts.get(contextId);
    contexts.delete(contextId);
    if (ctx.id == contextId) {
      if (ctx instanceof RootContext) changetype<RootContext>(ctx).onDelete();
      else if (ctx instanceof StreamContext) changetype<StreamContext>(ctx).onDelete();
    }
  }
  let collect = false;
  // Also collect early once the host handed over more than COLLECT_AFTER_HOST_BYTES, or 1/32 of linear memory
  // if that is more, since the last collection: large requests (60 KiB of headers each) must not pile up 63
  // requests' copies before the next scheduled collection, while a module with a large live heap (a policy of
  // thousands of rules, which every collection marks) does not pay a full collection every few requests.
  const threshold = max(COLLECT_AFTER_HOST_BYTES, (<usize>memory.size() << 16) >> 5);
  if (++deletesSinceCollect >= collectEvery || hostBytesReceived() > threshold) {
    deletesSinceCollect = 0;
    resetHostBytesReceived();
    collect = true;
  }
  leave(collect);
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP filter

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  enter();
  const ctx = httpContext(contextId);
  const result = ctx === null ? FilterHeadersStatus.Continue : ctx.onRequestHeaders(numHeaders, endOfStream != 0);
  leave(false);
  return result;
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  enter();
  const ctx = httpContext(contextId);
  const result = ctx === null ? FilterDataStatus.Continue : ctx.onRequestBody(bodySize, endOfStream != 0);
  leave(false);
  return result;
}

export function proxy_on_request_trailers(contextId: u32, numTrailers: u32): u32 {
  enter();
  const ctx = httpContext(contextId);
  const result = ctx === null ? FilterTrailersStatus.Continue : ctx.onRequestTrailers(numTrailers);
  leave(false);
  return result;
}

/** HTTP/2 METADATA frames: Envoy ignores the result; not routed to contexts. */
export function proxy_on_request_metadata(contextId: u32, numElements: u32): u32 {
  return 0;
}

export function proxy_on_response_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  enter();
  const ctx = httpContext(contextId);
  const result = ctx === null ? FilterHeadersStatus.Continue : ctx.onResponseHeaders(numHeaders, endOfStream != 0);
  leave(false);
  return result;
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  enter();
  const ctx = httpContext(contextId);
  const result = ctx === null ? FilterDataStatus.Continue : ctx.onResponseBody(bodySize, endOfStream != 0);
  leave(false);
  return result;
}

export function proxy_on_response_trailers(contextId: u32, numTrailers: u32): u32 {
  enter();
  const ctx = httpContext(contextId);
  const result = ctx === null ? FilterTrailersStatus.Continue : ctx.onResponseTrailers(numTrailers);
  leave(false);
  return result;
}

export function proxy_on_response_metadata(contextId: u32, numElements: u32): u32 {
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Network filter

export function proxy_on_new_connection(contextId: u32): u32 {
  enter();
  const ctx = tcpContext(contextId);
  const result = ctx === null ? FilterStatus.Continue : ctx.onNewConnection();
  leave(false);
  return result;
}

export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  enter();
  const ctx = tcpContext(contextId);
  const result = ctx === null ? FilterStatus.Continue : ctx.onDownstreamData(dataSize, endOfStream != 0);
  leave(false);
  return result;
}

export function proxy_on_upstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  enter();
  const ctx = tcpContext(contextId);
  const result = ctx === null ? FilterStatus.Continue : ctx.onUpstreamData(dataSize, endOfStream != 0);
  leave(false);
  return result;
}

export function proxy_on_downstream_connection_close(contextId: u32, peerType: u32): void {
  enter();
  const ctx = tcpContext(contextId);
  if (ctx !== null) ctx.onDownstreamConnectionClose(<PeerType>peerType);
  leave(false);
}

export function proxy_on_upstream_connection_close(contextId: u32, peerType: u32): void {
  enter();
  const ctx = tcpContext(contextId);
  if (ctx !== null) ctx.onUpstreamConnectionClose(<PeerType>peerType);
  leave(false);
}

// ---------------------------------------------------------------------------------------------------------------
// Callouts (delivered by the host to the root context; routed to the context that made the call)

export function proxy_on_http_call_response(rootContextId: u32, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  enter();
  const owner = calloutOwner(token, rootContextId, true);
  if (owner !== null) owner.onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
  else if (log.enabled(LogLevel.Debug)) log.debug("http call response for a finished context, token " + formatInt(token));
  leave(false);
}

export function proxy_on_grpc_receive_initial_metadata(rootContextId: u32, token: u32, numElements: u32): void {
  enter();
  const owner = calloutOwner(token, rootContextId, false);
  if (owner !== null) owner.onGrpcReceiveInitialMetadata(token, numElements);
  leave(false);
}

export function proxy_on_grpc_receive(rootContextId: u32, token: u32, messageSize: u32): void {
  enter();
  const owner = calloutOwner(token, rootContextId, false);
  if (owner !== null) owner.onGrpcReceive(token, messageSize);
  leave(false);
}

export function proxy_on_grpc_receive_trailing_metadata(rootContextId: u32, token: u32, numElements: u32): void {
  enter();
  const owner = calloutOwner(token, rootContextId, false);
  if (owner !== null) owner.onGrpcReceiveTrailingMetadata(token, numElements);
  leave(false);
}

export function proxy_on_grpc_close(rootContextId: u32, token: u32, statusCode: u32): void {
  enter();
  const owner = calloutOwner(token, rootContextId, true);
  if (owner !== null) owner.onGrpcClose(token, statusCode);
  leave(false);
}

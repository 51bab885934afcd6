// Raw proxy-wasm ABI 0.2.1 imports and thin wrappers around them.
//
// Only functions Envoy registers are declared (proxy-wasm-cpp-host FOR_ALL_HOST_FUNCTIONS; docs/envoy-facts.md: host-imports):
// importing anything else makes Envoy reject the module at load. AssemblyScript drops unused imports, so a
// filter's import list contains only what it (and the dispatcher) actually calls.
//
// Every wrapper records the host status (see `lastStatus()`); none of them traps on a non-Ok status.
import { BufferType, LogLevel, MapType, MetricType, StreamType, WasmResult } from "./types";
import {
  RETURN_PTR, RETURN_U64, discard, returnedPointer, returnedSize, scratch, scratchUtf8, takeBytes, takeString, utf8Length, writeUtf8,
} from "./memory";
import { HeaderPair, decodePairs, pairsAreUtf8, pairsSize, writePairs } from "./pairs";

// ---------------------------------------------------------------------------------------------------------------
// Raw imports (module "env"). Pointers and sizes are i32 on wasm32; every function returns a WasmResult.

// @ts-ignore: decorator
@external("env", "proxy_log")
export declare function proxy_log(level: u32, messagePtr: usize, messageSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(returnLevel: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(returnTime: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(periodMs: u32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_property")
export declare function proxy_get_property(pathPtr: usize, pathSize: usize, returnPtr: usize, returnSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_property")
export declare function proxy_set_property(pathPtr: usize, pathSize: usize, valuePtr: usize, valueSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(type: BufferType, start: u32, maxSize: u32, returnPtr: usize, returnSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_buffer_status")
export declare function proxy_get_buffer_status(type: BufferType, returnSize: usize, returnFlags: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(type: BufferType, start: u32, size: u32, valuePtr: usize, valueSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(type: MapType, returnPtr: usize, returnSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_header_map_pairs")
export declare function proxy_set_header_map_pairs(type: MapType, ptr: usize, size: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(type: MapType, keyPtr: usize, keySize: usize, returnPtr: usize, returnSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(type: MapType, keyPtr: usize, keySize: usize, valuePtr: usize, valueSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_replace_header_map_value")
export declare function proxy_replace_header_map_value(type: MapType, keyPtr: usize, keySize: usize, valuePtr: usize, valueSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(type: MapType, keyPtr: usize, keySize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_header_map_size")
export declare function proxy_get_header_map_size(type: MapType, returnSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(type: StreamType): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_close_stream")
export declare function proxy_close_stream(type: StreamType): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(statusCode: u32, detailsPtr: usize, detailsSize: usize, bodyPtr: usize, bodySize: usize,
  headersPtr: usize, headersSize: usize, grpcStatus: i32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_http_call")
export declare function proxy_http_call(upstreamPtr: usize, upstreamSize: usize, headersPtr: usize, headersSize: usize,
  bodyPtr: usize, bodySize: usize, trailersPtr: usize, trailersSize: usize, timeoutMs: u32, returnToken: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_grpc_call")
export declare function proxy_grpc_call(servicePtr: usize, serviceSize: usize, serviceNamePtr: usize, serviceNameSize: usize,
  methodPtr: usize, methodSize: usize, metadataPtr: usize, metadataSize: usize, messagePtr: usize, messageSize: usize,
  timeoutMs: u32, returnToken: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_grpc_stream")
export declare function proxy_grpc_stream(servicePtr: usize, serviceSize: usize, serviceNamePtr: usize, serviceNameSize: usize,
  methodPtr: usize, methodSize: usize, metadataPtr: usize, metadataSize: usize, returnToken: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_grpc_send")
export declare function proxy_grpc_send(token: u32, messagePtr: usize, messageSize: usize, endStream: u32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_grpc_cancel")
export declare function proxy_grpc_cancel(token: u32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_grpc_close")
export declare function proxy_grpc_close(token: u32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_status")
export declare function proxy_get_status(returnCode: usize, returnMessagePtr: usize, returnMessageSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(keyPtr: usize, keySize: usize, valuePtr: usize, valueSize: usize, cas: u32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(keyPtr: usize, keySize: usize, returnValuePtr: usize, returnValueSize: usize, returnCas: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_register_shared_queue")
export declare function proxy_register_shared_queue(namePtr: usize, nameSize: usize, returnToken: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_resolve_shared_queue")
export declare function proxy_resolve_shared_queue(vmIdPtr: usize, vmIdSize: usize, namePtr: usize, nameSize: usize, returnToken: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_enqueue_shared_queue")
export declare function proxy_enqueue_shared_queue(token: u32, dataPtr: usize, dataSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_dequeue_shared_queue")
export declare function proxy_dequeue_shared_queue(token: u32, returnPtr: usize, returnSize: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_define_metric")
export declare function proxy_define_metric(type: MetricType, namePtr: usize, nameSize: usize, returnId: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(id: u32, offset: i64): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_record_metric")
export declare function proxy_record_metric(id: u32, value: u64): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_get_metric")
export declare function proxy_get_metric(id: u32, returnValue: usize): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(contextId: u32): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_done")
export declare function proxy_done(): WasmResult;
// @ts-ignore: decorator
@external("env", "proxy_call_foreign_function")
export declare function proxy_call_foreign_function(namePtr: usize, nameSize: usize, argsPtr: usize, argsSize: usize,
  returnPtr: usize, returnSize: usize): WasmResult;

// ---------------------------------------------------------------------------------------------------------------
// Status of the most recent wrapped call.

let status: WasmResult = WasmResult.Ok;

/** Host status of the most recent SDK host call (e.g. NotFound after a getter returned null). */
export function lastStatus(): WasmResult {
  return status;
}

// @ts-ignore: decorator
@inline function record(result: WasmResult): WasmResult {
  status = result;
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Wrappers. Getters return null (or 0) on a non-Ok status; `lastStatus()` tells why.

/** proxy_log without any level check (use the `log` helpers, which check the level first). */
export function logMessage(level: LogLevel, message: string): WasmResult {
  const size = utf8Length(message);
  const buf = scratchUtf8(message, size);
  return record(proxy_log(level, buf, size));
}

/** Envoy's `wasm` logger level (0 trace … 5 critical, 6 off); -1 if the host refused. */
export function getLogLevel(): i32 {
  if (record(proxy_get_log_level(RETURN_PTR)) != WasmResult.Ok) return -1;
  return load<i32>(RETURN_PTR);
}

/** Wall-clock time in nanoseconds since the Unix epoch (0 on failure). */
export function getCurrentTimeNanoseconds(): u64 {
  if (record(proxy_get_current_time_nanoseconds(RETURN_U64)) != WasmResult.Ok) return 0;
  return load<u64>(RETURN_U64);
}

export function setTickPeriodMilliseconds(periodMs: u32): WasmResult {
  return record(proxy_set_tick_period_milliseconds(periodMs));
}

/** Raw property read with an already NUL-joined path; null when absent (NotFound) or refused. */
export function getPropertyRaw(pathPtr: usize, pathSize: usize): ArrayBuffer | null {
  if (record(proxy_get_property(pathPtr, pathSize, RETURN_PTR, RETURN_PTR + 4)) != WasmResult.Ok) return null;
  return takeBytes(returnedPointer(), returnedSize());
}

/** Raw property read returning a string; null when absent or refused. */
export function getPropertyRawString(pathPtr: usize, pathSize: usize): string | null {
  if (record(proxy_get_property(pathPtr, pathSize, RETURN_PTR, RETURN_PTR + 4)) != WasmResult.Ok) return null;
  return takeString(returnedPointer(), returnedSize());
}

export function setPropertyRaw(pathPtr: usize, pathSize: usize, valuePtr: usize, valueSize: usize): WasmResult {
  return record(proxy_set_property(pathPtr, pathSize, valuePtr, valueSize));
}

/** Bytes [start, start+maxSize) of a buffer, clamped by the host; null when the buffer is unavailable. */
export function getBufferBytes(type: BufferType, start: u32, maxSize: u32): ArrayBuffer | null {
  if (record(proxy_get_buffer_bytes(type, start, maxSize, RETURN_PTR, RETURN_PTR + 4)) != WasmResult.Ok) return null;
  return takeBytes(returnedPointer(), returnedSize());
}

/** Like getBufferBytes, decoded as UTF-8. */
export function getBufferString(type: BufferType, start: u32, maxSize: u32): string | null {
  if (record(proxy_get_buffer_bytes(type, start, maxSize, RETURN_PTR, RETURN_PTR + 4)) != WasmResult.Ok) return null;
  return takeString(returnedPointer(), returnedSize());
}

/** Current size of a buffer; -1 when unavailable. */
export function getBufferSize(type: BufferType): i64 {
  if (record(proxy_get_buffer_status(type, RETURN_PTR, RETURN_PTR + 4)) != WasmResult.Ok) return -1;
  return <i64>load<u32>(RETURN_PTR);
}

/**
 * Envoy's restricted edit model: start 0 replaces the first `size` bytes with `value` (size 0 = prepend),
 * start >= length appends, anything in between is BadArgument.
 */
export function setBufferBytes(type: BufferType, start: u32, size: u32, valuePtr: usize, valueSize: usize): WasmResult {
  return record(proxy_set_buffer_bytes(type, start, size, valuePtr, valueSize));
}

export function setBufferString(type: BufferType, start: u32, size: u32, value: string): WasmResult {
  const len = utf8Length(value);
  const buf = scratchUtf8(value, len);
  return record(proxy_set_buffer_bytes(type, start, size, buf, len));
}

let pairsWereUtf8: bool = true;

// @ts-ignore: decorator
@inline function readHeaderMapPairs(type: MapType, checkUtf8: bool): HeaderPair[] {
  pairsWereUtf8 = true;
  if (record(proxy_get_header_map_pairs(type, RETURN_PTR, RETURN_PTR + 4)) != WasmResult.Ok) return new Array<HeaderPair>(0);
  const ptr = returnedPointer();
  const size = returnedSize();
  const pairs = decodePairs(ptr, size);
  if (checkUtf8) pairsWereUtf8 = pairsAreUtf8(ptr, size);
  discard(ptr);
  return pairs;
}

/** All entries of a header map in Envoy's order (empty when the map is unavailable). */
export function getHeaderMapPairs(type: MapType): HeaderPair[] {
  return readHeaderMapPairs(type, false);
}

/**
 * Like getHeaderMapPairs, and also checks that every name and value was valid UTF-8, i.e. that the decoded strings
 * encode back to the same bytes (header values may legally carry other bytes, e.g. Latin-1): see lastPairsWereUtf8.
 */
export function getHeaderMapPairsChecked(type: MapType): HeaderPair[] {
  return readHeaderMapPairs(type, true);
}

/** Result of the last getHeaderMapPairsChecked (true after getHeaderMapPairs, which does not check). */
export function lastPairsWereUtf8(): bool {
  return pairsWereUtf8;
}

/** Replaces the whole map (Envoy removes every existing key, then adds the pairs). */
export function setHeaderMapPairs(type: MapType, pairs: HeaderPair[]): WasmResult {
  const size = pairsSize(pairs);
  const buf = scratch(size);
  writePairs(pairs, buf);
  return record(proxy_set_header_map_pairs(type, buf, size));
}

/** First value of `name`; null when absent (NotFound) or the map is not accessible now (BadArgument). */
export function getHeaderMapValue(type: MapType, name: string): string | null {
  const size = utf8Length(name);
  const buf = scratchUtf8(name, size);
  if (record(proxy_get_header_map_value(type, buf, size, RETURN_PTR, RETURN_PTR + 4)) != WasmResult.Ok) return null;
  return takeString(returnedPointer(), returnedSize());
}

// Encodes two strings back to back in scratch; returns the start, the first's size in scratchFirst.
let scratchFirst: usize = 0;
function encodeTwo(a: string, b: string): usize {
  const la = utf8Length(a);
  const buf = scratch(la + utf8Length(b));
  writeUtf8(a, buf);
  writeUtf8(b, buf + la);
  scratchFirst = la;
  return buf;
}

export function addHeaderMapValue(type: MapType, name: string, value: string): WasmResult {
  const buf = encodeTwo(name, value);
  const nameSize = scratchFirst;
  return record(proxy_add_header_map_value(type, buf, nameSize, buf + nameSize, utf8Length(value)));
}

/** Envoy removes every value of `name`, then appends one. */
export function replaceHeaderMapValue(type: MapType, name: string, value: string): WasmResult {
  const buf = encodeTwo(name, value);
  const nameSize = scratchFirst;
  return record(proxy_replace_header_map_value(type, buf, nameSize, buf + nameSize, utf8Length(value)));
}

/** Removes every value of `name` (Ok when absent). */
export function removeHeaderMapValue(type: MapType, name: string): WasmResult {
  const size = utf8Length(name);
  const buf = scratchUtf8(name, size);
  return record(proxy_remove_header_map_value(type, buf, size));
}

/** Envoy reports the map's *byte* size (sum of name and value lengths), not an entry count; -1 on failure. */
export function getHeaderMapByteSize(type: MapType): i64 {
  if (record(proxy_get_header_map_size(type, RETURN_PTR)) != WasmResult.Ok) return -1;
  return <i64>load<u32>(RETURN_PTR);
}

/** Deferred by Envoy until the current callback returns. Continue(Upstream) is Unimplemented in Envoy. */
export function continueStream(type: StreamType): WasmResult {
  return record(proxy_continue_stream(type));
}

/** Deferred. Request/Response reset the HTTP stream; Downstream/Upstream both close the downstream connection. */
export function closeStream(type: StreamType): WasmResult {
  return record(proxy_close_stream(type));
}

/** Queues a local reply (sent after the callback returns; the callback's own result is then ignored). */
export function sendLocalResponse(statusCode: u32, details: string, body: string, headers: HeaderPair[] | null, grpcStatus: i32): WasmResult {
  const detailsSize = utf8Length(details);
  const bodySize = utf8Length(body);
  const headersSize = pairsSize(headers);
  const buf = scratch(detailsSize + bodySize + headersSize);
  writeUtf8(details, buf);
  writeUtf8(body, buf + detailsSize);
  writePairs(headers, buf + detailsSize + bodySize);
  return record(proxy_send_local_response(statusCode, buf, detailsSize, buf + detailsSize, bodySize,
    buf + detailsSize + bodySize, headersSize, grpcStatus));
}

/**
 * HTTP callout to `cluster`. Headers must include :method, :path and :authority. Returns the token
 * (0 on failure: BadArgument for an unknown cluster or missing pseudo-headers).
 */
export function httpCall(cluster: string, headers: HeaderPair[], body: ArrayBuffer | null, trailers: HeaderPair[] | null, timeoutMs: u32): u32 {
  const clusterSize = utf8Length(cluster);
  const headersSize = pairsSize(headers);
  const trailersSize = pairsSize(trailers);
  const buf = scratch(clusterSize + headersSize + trailersSize);
  writeUtf8(cluster, buf);
  writePairs(headers, buf + clusterSize);
  writePairs(trailers, buf + clusterSize + headersSize);
  const bodyPtr = body === null ? 0 : changetype<usize>(body);
  const bodySize = body === null ? 0 : <usize>body.byteLength;
  if (record(proxy_http_call(buf, clusterSize, buf + clusterSize, headersSize, bodyPtr, bodySize,
    buf + clusterSize + headersSize, trailersSize, timeoutMs, RETURN_PTR)) != WasmResult.Ok) return 0;
  return load<u32>(RETURN_PTR);
}

/**
 * Unary gRPC call. `service` is a serialized envoy.config.core.v3.GrpcService (preferred) or a cluster name.
 * Returns the token, 0 on failure.
 */
export function grpcCall(service: ArrayBuffer, serviceName: string, method: string, initialMetadata: HeaderPair[] | null,
  message: ArrayBuffer | null, timeoutMs: u32): u32 {
  const nameSize = utf8Length(serviceName);
  const methodSize = utf8Length(method);
  const metadataSize = pairsSize(initialMetadata);
  const buf = scratch(nameSize + methodSize + metadataSize);
  writeUtf8(serviceName, buf);
  writeUtf8(method, buf + nameSize);
  writePairs(initialMetadata, buf + nameSize + methodSize);
  const messagePtr = message === null ? 0 : changetype<usize>(message);
  const messageSize = message === null ? 0 : <usize>message.byteLength;
  if (record(proxy_grpc_call(changetype<usize>(service), service.byteLength, buf, nameSize, buf + nameSize, methodSize,
    buf + nameSize + methodSize, metadataSize, messagePtr, messageSize, timeoutMs, RETURN_PTR)) != WasmResult.Ok) return 0;
  return load<u32>(RETURN_PTR);
}

/** Opens a gRPC stream; returns the token, 0 on failure. */
export function grpcStream(service: ArrayBuffer, serviceName: string, method: string, initialMetadata: HeaderPair[] | null): u32 {
  const nameSize = utf8Length(serviceName);
  const methodSize = utf8Length(method);
  const metadataSize = pairsSize(initialMetadata);
  const buf = scratch(nameSize + methodSize + metadataSize);
  writeUtf8(serviceName, buf);
  writeUtf8(method, buf + nameSize);
  writePairs(initialMetadata, buf + nameSize + methodSize);
  if (record(proxy_grpc_stream(changetype<usize>(service), service.byteLength, buf, nameSize, buf + nameSize, methodSize,
    buf + nameSize + methodSize, metadataSize, RETURN_PTR)) != WasmResult.Ok) return 0;
  return load<u32>(RETURN_PTR);
}

export function grpcSend(token: u32, message: ArrayBuffer, endStream: bool): WasmResult {
  return record(proxy_grpc_send(token, changetype<usize>(message), message.byteLength, endStream ? 1 : 0));
}

export function grpcCancel(token: u32): WasmResult {
  return record(proxy_grpc_cancel(token));
}

export function grpcClose(token: u32): WasmResult {
  return record(proxy_grpc_close(token));
}

let statusMessage: string = "";

/** Status code of the last callout/gRPC event (proxy_get_status); message via `lastCalloutStatusMessage()`. */
export function getCalloutStatus(): u32 {
  if (record(proxy_get_status(RETURN_PTR, RETURN_PTR + 4, RETURN_PTR + 8)) != WasmResult.Ok) {
    statusMessage = "";
    return 0xFFFFFFFF;
  }
  const code = load<u32>(RETURN_PTR);
  statusMessage = takeString(<usize>load<u32>(RETURN_PTR, 4), <usize>load<u32>(RETURN_PTR, 8));
  return code;
}

export function lastCalloutStatusMessage(): string {
  return statusMessage;
}

/** Shared data value plus its CAS. */
export class SharedData {
  constructor(public value: ArrayBuffer, public cas: u32) {}
}

/** Reads a shared-data key; null when absent (NotFound). */
export function getSharedData(key: string): SharedData | null {
  const size = utf8Length(key);
  const buf = scratchUtf8(key, size);
  if (record(proxy_get_shared_data(buf, size, RETURN_PTR, RETURN_PTR + 4, RETURN_PTR + 8)) != WasmResult.Ok) return null;
  const cas = load<u32>(RETURN_PTR, 8);
  return new SharedData(takeBytes(returnedPointer(), returnedSize()), cas);
}

/** Writes a shared-data key; cas 0 = unconditional, else CasMismatch when the value changed meanwhile. */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32): WasmResult {
  const size = utf8Length(key);
  const buf = scratchUtf8(key, size);
  return record(proxy_set_shared_data(buf, size, changetype<usize>(value), value.byteLength, cas));
}

/** Registers (or re-binds to this root) a queue; returns its token, 0 on failure. */
export function registerSharedQueue(name: string): u32 {
  const size = utf8Length(name);
  const buf = scratchUtf8(name, size);
  if (record(proxy_register_shared_queue(buf, size, RETURN_PTR)) != WasmResult.Ok) return 0;
  return load<u32>(RETURN_PTR);
}

/** Finds a queue registered by a VM (empty vmId = this VM); 0 when not found. */
export function resolveSharedQueue(vmId: string, name: string): u32 {
  const buf = encodeTwo(vmId, name);
  const vmIdSize = scratchFirst;
  if (record(proxy_resolve_shared_queue(buf, vmIdSize, buf + vmIdSize, utf8Length(name), RETURN_PTR)) != WasmResult.Ok) return 0;
  return load<u32>(RETURN_PTR);
}

export function enqueueSharedQueue(token: u32, data: ArrayBuffer): WasmResult {
  return record(proxy_enqueue_shared_queue(token, changetype<usize>(data), data.byteLength));
}

/** Next queue item; null when empty (status Empty) or unknown token (NotFound). */
export function dequeueSharedQueue(token: u32): ArrayBuffer | null {
  if (record(proxy_dequeue_shared_queue(token, RETURN_PTR, RETURN_PTR + 4)) != WasmResult.Ok) return null;
  return takeBytes(returnedPointer(), returnedSize());
}

/** Defines a metric (full stat name "wasmcustom.<name>"); returns its id, 0 on failure. */
export function defineMetric(type: MetricType, name: string): u32 {
  const size = utf8Length(name);
  const buf = scratchUtf8(name, size);
  if (record(proxy_define_metric(type, buf, size, RETURN_PTR)) != WasmResult.Ok) return 0;
  return load<u32>(RETURN_PTR);
}

/** Counter: offset must be > 0 (else BadArgument). Gauge: adds (negative subtracts). Histogram: BadArgument. */
export function incrementMetric(id: u32, offset: i64): WasmResult {
  return record(proxy_increment_metric(id, offset));
}

/** Counter: adds. Gauge: sets. Histogram: records a sample. */
export function recordMetric(id: u32, value: u64): WasmResult {
  return record(proxy_record_metric(id, value));
}

/** Current value (counters and gauges; histograms → BadArgument); 0 on failure. */
export function getMetric(id: u32): u64 {
  if (record(proxy_get_metric(id, RETURN_U64)) != WasmResult.Ok) return 0;
  return load<u64>(RETURN_U64);
}

/** Makes later host calls in this VM call act on `contextId` (until the current callback returns). */
export function setEffectiveContext(contextId: u32): WasmResult {
  return record(proxy_set_effective_context(contextId));
}

/** Tells Envoy a root context that returned false from onDone has finished. */
export function done(): WasmResult {
  return record(proxy_done());
}

/** Calls a host foreign function; returns its result bytes (empty when it returns none) or null on a non-Ok status. */
export function callForeignFunction(name: string, args: ArrayBuffer | null): ArrayBuffer | null {
  const size = utf8Length(name);
  const buf = scratchUtf8(name, size);
  const argsPtr = args === null ? 0 : changetype<usize>(args);
  const argsSize = args === null ? 0 : <usize>args.byteLength;
  return callForeignFunctionRaw(buf, size, argsPtr, argsSize);
}

/** callForeignFunction with name and arguments already in memory. */
export function callForeignFunctionRaw(namePtr: usize, nameSize: usize, argsPtr: usize, argsSize: usize): ArrayBuffer | null {
  if (record(proxy_call_foreign_function(namePtr, nameSize, argsPtr, argsSize, RETURN_PTR, RETURN_PTR + 4)) != WasmResult.Ok) return null;
  return takeBytes(returnedPointer(), returnedSize());
}

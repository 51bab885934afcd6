// Typed access to Envoy's byte buffers: HTTP bodies, network data, callout/gRPC responses, configurations.
//
// Envoy's edit model is narrower than the spec's: an edit at start 0 replaces the first `length` bytes
// (length 0 = prepend), an edit at start >= current size appends, anything in between is BadArgument.
// Config and callout buffers are read-only (BadArgument on edit).
import { BufferType, WasmResult } from "./types";
import { getBufferBytes, getBufferSize, getBufferString, setBufferBytes, setBufferString } from "./hostcalls";

// Any start at or beyond the buffer's end appends.
// @ts-ignore: decorator
@inline const APPEND_AT: u32 = 0xFFFFFFFF;

export class HostBuffer {
  constructor(public readonly type: BufferType) {}

  /** Current size in bytes; -1 when the buffer is unavailable. */
  size(): i64 {
    return getBufferSize(this.type);
  }

  /** Bytes [start, start+maxSize), clamped to the buffer; null when unavailable (see lastStatus()). */
  get(start: u32 = 0, maxSize: u32 = 0xFFFFFFFF): ArrayBuffer | null {
    return getBufferBytes(this.type, start, maxSize);
  }

  /** Like get, decoded as UTF-8. */
  getString(start: u32 = 0, maxSize: u32 = 0xFFFFFFFF): string | null {
    return getBufferString(this.type, start, maxSize);
  }

  /** Replaces the first `length` bytes with `value`; pass the callback's size to replace everything. */
  replace(length: u32, value: ArrayBuffer): WasmResult {
    return setBufferBytes(this.type, 0, length, changetype<usize>(value), value.byteLength);
  }

  replaceString(length: u32, value: string): WasmResult {
    return setBufferString(this.type, 0, length, value);
  }

  prepend(value: ArrayBuffer): WasmResult {
    return setBufferBytes(this.type, 0, 0, changetype<usize>(value), value.byteLength);
  }

  prependString(value: string): WasmResult {
    return setBufferString(this.type, 0, 0, value);
  }

  append(value: ArrayBuffer): WasmResult {
    return setBufferBytes(this.type, APPEND_AT, 0, changetype<usize>(value), value.byteLength);
  }

  appendString(value: string): WasmResult {
    return setBufferString(this.type, APPEND_AT, 0, value);
  }
}

export const requestBody = new HostBuffer(BufferType.HttpRequestBody);
export const responseBody = new HostBuffer(BufferType.HttpResponseBody);
/** Bytes read from the client (network filters, inside onDownstreamData). */
export const downstreamData = new HostBuffer(BufferType.DownstreamData);
/** Bytes flowing back to the client (network filters, inside onUpstreamData). */
export const upstreamData = new HostBuffer(BufferType.UpstreamData);
/** Readable only inside onHttpCallResponse. */
export const httpCallResponseBody = new HostBuffer(BufferType.HttpCallResponseBody);
/** Readable only inside onGrpcReceive. */
export const grpcReceiveBuffer = new HostBuffer(BufferType.GrpcReceiveBuffer);
/** vm_config.configuration; readable at any time. */
export const vmConfiguration = new HostBuffer(BufferType.VmConfiguration);
/** The plugin configuration; readable only during onConfigure. */
export const pluginConfiguration = new HostBuffer(BufferType.PluginConfiguration);

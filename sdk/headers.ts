// Typed access to Envoy's header maps (request/response headers and trailers, callout and gRPC metadata).
// Envoy lower-cases every name it stores. A map is only accessible while the callback that delivered it runs
// (or the stream is paused there): outside that window single-value operations return BadArgument and getPairs
// is empty — copy what you need in on_request_headers.
import { MapType, WasmResult } from "./types";
import {
  addHeaderMapValue, getHeaderMapByteSize, getHeaderMapPairs, getHeaderMapValue, removeHeaderMapValue, replaceHeaderMapValue,
  setHeaderMapPairs,
} from "./hostcalls";
import { HeaderPair } from "./pairs";

export class HeaderMap {
  constructor(public readonly type: MapType) {}

  /** First value of `name`, or null when absent (NotFound) or not accessible now (see lastStatus()). */
  get(name: string): string | null {
    return getHeaderMapValue(this.type, name);
  }

  /** Appends a value (duplicates allowed). */
  add(name: string, value: string): WasmResult {
    return addHeaderMapValue(this.type, name, value);
  }

  /** Removes every value of `name`, then adds this one. */
  replace(name: string, value: string): WasmResult {
    return replaceHeaderMapValue(this.type, name, value);
  }

  /** Removes every value of `name` (Ok when absent). */
  remove(name: string): WasmResult {
    return removeHeaderMapValue(this.type, name);
  }

  /** All entries in Envoy's order (pseudo-headers first). */
  getPairs(): HeaderPair[] {
    return getHeaderMapPairs(this.type);
  }

  /** Replaces the whole map. */
  setPairs(pairs: HeaderPair[]): WasmResult {
    return setHeaderMapPairs(this.type, pairs);
  }

  /** Sum of name and value byte lengths (what Envoy's get_header_map_size reports); -1 when unavailable. */
  byteSize(): i64 {
    return getHeaderMapByteSize(this.type);
  }
}

export const requestHeaders = new HeaderMap(MapType.RequestHeaders);
export const requestTrailers = new HeaderMap(MapType.RequestTrailers);
export const responseHeaders = new HeaderMap(MapType.ResponseHeaders);
export const responseTrailers = new HeaderMap(MapType.ResponseTrailers);
/** Readable only inside onHttpCallResponse. */
export const httpCallResponseHeaders = new HeaderMap(MapType.HttpCallResponseHeaders);
export const httpCallResponseTrailers = new HeaderMap(MapType.HttpCallResponseTrailers);
export const grpcReceiveInitialMetadata = new HeaderMap(MapType.GrpcReceiveInitialMetadata);
export const grpcReceiveTrailingMetadata = new HeaderMap(MapType.GrpcReceiveTrailingMetadata);

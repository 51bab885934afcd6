// Typed access to Envoy's header maps (request/response headers and trailers, callout and gRPC metadata).
// Envoy lower-cases every name it stores. A map is only accessible while the callback that delivered it runs
// (or the stream is paused there): outside that window single-value operations return BadArgument and getPairs
// is empty — copy what you need in on_request_headers.
import { MapType, WasmResult } from "./types";
import {
  addHeaderMapValue, getHeaderMapByteSize, getHeaderMapPairs, getHeaderMapPairsChecked, getHeaderMapValue, lastPairsWereUtf8, lastStatus,
  removeHeaderMapValue, replaceHeaderMapValue, setHeaderMapPairs,
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

  /**
   * Every entry in one host call, for reading several headers (each `get` is a host call) and batching edits
   * (`HeaderSnapshot.commit`). Empty when the map is not accessible now. It does not follow later changes to the map.
   */
  snapshot(): HeaderSnapshot {
    const pairs = getHeaderMapPairsChecked(this.type);
    // Writing the whole map back is safe only if the read got all of it, byte for byte.
    return new HeaderSnapshot(pairs, lastStatus() == WasmResult.Ok && lastPairsWereUtf8());
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

/** One edit recorded on a HeaderSnapshot: replace `name` with `value`, or remove it. */
class HeaderEdit {
  constructor(public name: string, public value: string, public remove: bool) {}
}

/**
 * A copy of a header map's entries (lower-case names, Envoy's order), read without further host calls. Edits made
 * on it (`replace`, `remove`) are written back by `commit` in one host call (set_header_map_pairs) — or, when some
 * entry was not valid UTF-8 and would not survive the round trip byte for byte, one call per edit.
 */
export class HeaderSnapshot {
  private edits: HeaderEdit[] = [];

  /**
   * `exact`: the read succeeded and every name and value decoded losslessly, so the pairs can be written back as
   * they are; otherwise `commit` replays the edits one call each.
   */
  constructor(public pairs: HeaderPair[], public exact: bool = true) {}

  /** First value of `name` (lower-case), or null when absent. */
  get(name: string): string | null {
    const pairs = this.pairs;
    for (let i = 0, n = pairs.length; i < n; i++) {
      const p = unchecked(pairs[i]);
      if (p.name == name) return p.value;
    }
    return null;
  }

  has(name: string): bool {
    return this.get(name) !== null;
  }

  /**
   * Forgets every entry `name` in the snapshot only (no edit is recorded); true when there was one. To strip a
   * header with a host call only when it is present: `if (snap.drop(h)) requestHeaders.remove(h);`.
   */
  drop(name: string): bool {
    const pairs = this.pairs;
    let kept = 0;
    for (let i = 0, n = pairs.length; i < n; i++) {
      const p = unchecked(pairs[i]);
      if (p.name != name) unchecked((pairs[kept++] = p));
    }
    const dropped = kept < pairs.length;
    pairs.length = kept;
    return dropped;
  }

  /** Envoy's replace, recorded for `commit`: removes every entry `name` (lower-case), then appends one. */
  replace(name: string, value: string): void {
    this.drop(name);
    this.pairs.push(new HeaderPair(name, value));
    this.edits.push(new HeaderEdit(name, value, false));
  }

  /** Envoy's remove, recorded for `commit` (nothing is recorded when `name` is absent). */
  remove(name: string): void {
    if (this.drop(name)) this.edits.push(new HeaderEdit(name, "", true));
  }

  /** Writes the recorded edits to `map` (the map this snapshot was taken from). Ok when there were none. */
  commit(map: HeaderMap): WasmResult {
    const edits = this.edits;
    if (edits.length == 0) return WasmResult.Ok;
    this.edits = [];
    if (this.exact) return map.setPairs(this.pairs);
    let result = WasmResult.Ok;
    for (let i = 0; i < edits.length; i++) {
      const e = unchecked(edits[i]);
      const r = e.remove ? map.remove(e.name) : map.replace(e.name, e.value);
      if (r != WasmResult.Ok) result = r;
    }
    return result;
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

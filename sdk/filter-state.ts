// Envoy foreign functions that write filter state, with their protobuf arguments hand-encoded (proto3 wire format).
//
// set_envoy_filter_state: envoy.source.extensions.common.wasm.SetEnvoyFilterStateArguments
//   {1: path string, 2: value string, 3: span LifeSpan}. `path` is both the factory name and the filter-state
//   key, so only keys with a registered Envoy ObjectFactory work (e.g.
//   "envoy.network.transport_socket.original_dst_address", "envoy.tcp_proxy.cluster"); others → NotFound.
//   Root contexts → NotFound; a value the factory rejects → BadArgument.
// declare_property: DeclarePropertyArguments {1: name string, 2: readonly bool, 3: type WasmType, 4: schema bytes,
//   5: span LifeSpan}. Call it from the root context (onVmStart/onConfigure): set_property reads the root's table.
import { LifeSpan, WasmResult, WasmType } from "./types";
import { callForeignFunctionRaw, lastStatus } from "./hostcalls";
import { scratch, scratchUtf8, utf8Length, writeUtf8 } from "./memory";

const SET_ENVOY_FILTER_STATE = "set_envoy_filter_state";
const DECLARE_PROPERTY = "declare_property";
const CLEAR_ROUTE_CACHE = "clear_route_cache";

// @ts-ignore: decorator
@inline function varintSize(v: u32): usize {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function writeVarint(v: u32, at: usize): usize {
  while (v >= 0x80) {
    store<u8>(at, <u8>(v & 0x7F) | 0x80);
    v >>= 7;
    at += 1;
  }
  store<u8>(at, <u8>v);
  return at + 1;
}

// Length-delimited field: tag, varint length, UTF-8 bytes.
function writeStringField(tag: u8, value: string, valueSize: usize, at: usize): usize {
  store<u8>(at, tag);
  at = writeVarint(<u32>valueSize, at + 1);
  return writeUtf8(value, at);
}

/**
 * Encodes SetEnvoyFilterStateArguments at `dst` (needs setEnvoyFilterStateArgumentsSize bytes); returns the end.
 * Exposed for tests; filters call setEnvoyFilterState.
 */
export function writeSetEnvoyFilterStateArguments(path: string, value: string, span: LifeSpan, dst: usize): usize {
  let at = writeStringField(0x0A, path, utf8Length(path), dst);
  at = writeStringField(0x12, value, utf8Length(value), at);
  if (span != LifeSpan.FilterChain) {
    store<u8>(at, 0x18);
    at = writeVarint(<u32>span, at + 1);
  }
  return at;
}

export function setEnvoyFilterStateArgumentsSize(path: string, value: string, span: LifeSpan): usize {
  const p = utf8Length(path);
  const v = utf8Length(value);
  let size: usize = 2 + varintSize(<u32>p) + p + varintSize(<u32>v) + v;
  if (span != LifeSpan.FilterChain) size += 1 + varintSize(<u32>span);
  return size;
}

/** Sets an Envoy-typed filter-state object (see the file comment for which keys work). */
export function setEnvoyFilterState(key: string, value: string, span: LifeSpan = LifeSpan.FilterChain): WasmResult {
  const nameSize = utf8Length(SET_ENVOY_FILTER_STATE);
  const argsSize = setEnvoyFilterStateArgumentsSize(key, value, span);
  const buf = scratch(nameSize + argsSize);
  writeUtf8(SET_ENVOY_FILTER_STATE, buf);
  writeSetEnvoyFilterStateArguments(key, value, span, buf + nameSize);
  callForeignFunctionRaw(buf, nameSize, buf + nameSize, argsSize);
  return lastStatus();
}

/**
 * Declares how set_property stores `name` (type, read-only, life span — e.g. LifeSpan.Connection for a value an
 * HTTP filter on the same connection should see). Declaring a name twice → BadArgument.
 */
export function declareProperty(name: string, type: WasmType = WasmType.Bytes, readonly: bool = false,
  span: LifeSpan = LifeSpan.FilterChain): WasmResult {
  const fnSize = utf8Length(DECLARE_PROPERTY);
  const n = utf8Length(name);
  const argsSize: usize = 1 + varintSize(<u32>n) + n + (readonly ? 2 : 0) + (type != WasmType.Bytes ? 2 : 0) + (span != LifeSpan.FilterChain ? 2 : 0);
  const buf = scratch(fnSize + argsSize);
  writeUtf8(DECLARE_PROPERTY, buf);
  let at = writeStringField(0x0A, name, n, buf + fnSize);
  if (readonly) {
    store<u8>(at, 0x10);
    store<u8>(at, 1, 1);
    at += 2;
  }
  if (type != WasmType.Bytes) {
    store<u8>(at, 0x18);
    store<u8>(at, <u8>type, 1);
    at += 2;
  }
  if (span != LifeSpan.FilterChain) {
    store<u8>(at, 0x28);
    store<u8>(at, <u8>span, 1);
    at += 2;
  }
  callForeignFunctionRaw(buf, fnSize, buf + fnSize, argsSize);
  return lastStatus();
}

/** Asks Envoy to recompute the route after header changes (Envoy ≥ 1.33; NotFound on older Envoy). */
export function clearRouteCache(): WasmResult {
  const size = utf8Length(CLEAR_ROUTE_CACHE);
  const buf = scratchUtf8(CLEAR_ROUTE_CACHE, size);
  callForeignFunctionRaw(buf, size, 0, 0);
  return lastStatus();
}

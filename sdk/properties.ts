// Properties (Envoy attributes) via proxy_get_property / proxy_set_property.
//
// A path is a list of segments, sent NUL-separated: ["source", "address"], ["filter_state", "wasm.peer"],
// ["xds", "node", "metadata", "NAME"]. Segments may contain dots, which is why paths are arrays, not dotted
// strings. Hoist constant paths to module level (`const SOURCE_ADDRESS = ["source", "address"];`) so a lookup
// allocates only its result. Absent properties give null (status NotFound), never a trap.
//
// Envoy's value encodings: strings/bytes raw; int64/uint64/timestamps/durations 8-byte little-endian;
// doubles 8-byte IEEE-754 LE; bools 1 byte; maps and lists in the header-pairs encoding.
import { WasmResult } from "./types";
import { getPropertyRaw, getPropertyRawString, setPropertyRaw } from "./hostcalls";
import { scratch, scratchUtf8, utf8Length, writeUtf8 } from "./memory";
import { HeaderPair, decodePairs } from "./pairs";

let encodedPathSize: usize = 0;

// Writes the NUL-joined path into scratch; returns its address (size in encodedPathSize).
function encodePath(path: string[]): usize {
  let size: usize = 0;
  const n = path.length;
  for (let i = 0; i < n; i++) size += utf8Length(unchecked(path[i]));
  if (n > 1) size += <usize>(n - 1);
  const buf = scratch(size);
  let at = buf;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      store<u8>(at, 0);
      at += 1;
    }
    at = writeUtf8(unchecked(path[i]), at);
  }
  encodedPathSize = size;
  return buf;
}

/** Raw bytes of a property; null when absent (see lastStatus()). */
export function getProperty(path: string[]): ArrayBuffer | null {
  const ptr = encodePath(path);
  return getPropertyRaw(ptr, encodedPathSize);
}

/** A string-valued property; null when absent. */
export function getPropertyString(path: string[]): string | null {
  const ptr = encodePath(path);
  return getPropertyRawString(ptr, encodedPathSize);
}

/** An int64/uint64/timestamp/duration property; `fallback` when absent or not 8 bytes. */
export function getPropertyInt64(path: string[], fallback: i64 = 0): i64 {
  const value = getProperty(path);
  if (value === null || value.byteLength != 8) return fallback;
  return decodeInt64(value);
}

/** A bool property; `fallback` when absent or not 1 byte. */
export function getPropertyBool(path: string[], fallback: bool = false): bool {
  const value = getProperty(path);
  if (value === null || value.byteLength != 1) return fallback;
  return decodeBool(value);
}

/** A double property (e.g. a number in node metadata); `fallback` when absent or not 8 bytes. */
export function getPropertyDouble(path: string[], fallback: f64 = NaN): f64 {
  const value = getProperty(path);
  if (value === null || value.byteLength != 8) return fallback;
  return decodeDouble(value);
}

/** A map- or list-valued property (pairs encoding; list elements are the names, values empty); null when absent. */
export function getPropertyMap(path: string[]): HeaderPair[] | null {
  const value = getProperty(path);
  if (value === null) return null;
  return decodeMap(value);
}

/**
 * Stores `value` as filter state `wasm.<name>` on the stream (HTTP filter) or connection (network filter).
 * NotFound from a root context. Readable later as the property [name] or ["filter_state", "wasm." + name],
 * and by Envoy's %FILTER_STATE(wasm.<name>:PLAIN)%.
 */
export function setProperty(name: string, value: ArrayBuffer): WasmResult {
  const size = utf8Length(name);
  const buf = scratchUtf8(name, size);
  return setPropertyRaw(buf, size, changetype<usize>(value), value.byteLength);
}

/** setProperty with a UTF-8 string value. */
export function setPropertyString(name: string, value: string): WasmResult {
  const nameSize = utf8Length(name);
  const buf = scratch(nameSize + utf8Length(value));
  writeUtf8(name, buf);
  const end = writeUtf8(value, buf + nameSize);
  return setPropertyRaw(buf, nameSize, buf + nameSize, end - buf - nameSize);
}

// ---------------------------------------------------------------------------------------------------------------
// Decoders for Envoy's value encodings.

export function decodeString(value: ArrayBuffer): string {
  return String.UTF8.decode(value);
}

/** Little-endian 8-byte integer (0 when shorter). */
export function decodeInt64(value: ArrayBuffer): i64 {
  if (value.byteLength < 8) return 0;
  return load<i64>(changetype<usize>(value));
}

/** 1 byte, non-zero = true. */
export function decodeBool(value: ArrayBuffer): bool {
  if (value.byteLength < 1) return false;
  return load<u8>(changetype<usize>(value)) != 0;
}

/** Little-endian IEEE-754 double (NaN when shorter). */
export function decodeDouble(value: ArrayBuffer): f64 {
  if (value.byteLength < 8) return NaN;
  return load<f64>(changetype<usize>(value));
}

/** Pairs-encoded map or list. */
export function decodeMap(value: ArrayBuffer): HeaderPair[] {
  return decodePairs(changetype<usize>(value), <usize>value.byteLength);
}

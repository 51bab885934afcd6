// Envoy's header-map serialization ("pairs"), proxy-wasm/proxy-wasm-cpp-host src/pairs_util.cc.
import type { HeaderList } from "./types.ts";
import { bytesToString, stringToBytes } from "./memory.ts";

// include/proxy-wasm/limits.h
export const PAIRS_MAX_COUNT = 1024;
export const PAIRS_MAX_BYTES = 1024 * 1024;

/** Serialize [key, value] pairs: u32 count, count×(u32 klen, u32 vlen), then key\0value\0 each. */
export function encodePairs(pairs: ReadonlyArray<readonly [string | Uint8Array, string | Uint8Array]>): Uint8Array {
  const n = pairs.length;
  const keys: Uint8Array[] = new Array(n);
  const values: Uint8Array[] = new Array(n);
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const k = pairs[i][0], v = pairs[i][1];
    keys[i] = typeof k === "string" ? stringToBytes(k) : k;
    values[i] = typeof v === "string" ? stringToBytes(v) : v;
    size += keys[i].length + values[i].length + 2;
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, n, true);
  let pos = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    dv.setUint32(4 + i * 8, keys[i].length, true);
    dv.setUint32(8 + i * 8, values[i].length, true);
    out.set(keys[i], pos); pos += keys[i].length + 1;
    out.set(values[i], pos); pos += values[i].length + 1;
  }
  return out;
}

/**
 * Parse pairs like Envoy's toPairs: strict, and any malformation (short buffer, too many pairs, missing NUL
 * terminator, trailing bytes) yields an EMPTY list — never an error (src/pairs_util.cc toPairs).
 */
export function decodePairs(buf: Uint8Array): HeaderList {
  const out: HeaderList = [];
  if (buf.length < 4) return out;
  if (buf.length > PAIRS_MAX_BYTES) return [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getUint32(0, true);
  if (n > PAIRS_MAX_COUNT) return [];
  const end = buf.length;
  let pos = 4 + n * 8;
  if (pos > end) return [];
  for (let i = 0; i < n; i++) {
    const klen = dv.getUint32(4 + i * 8, true);
    const vlen = dv.getUint32(8 + i * 8, true);
    if (pos + klen + 1 > end || buf[pos + klen] !== 0) return [];
    const k = bytesToString(buf, pos, pos + klen);
    pos += klen + 1;
    if (pos + vlen + 1 > end || buf[pos + vlen] !== 0) return [];
    const v = bytesToString(buf, pos, pos + vlen);
    pos += vlen + 1;
    out.push([k, v]);
  }
  if (pos !== end) return [];
  return out;
}

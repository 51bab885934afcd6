// Envoy's header-map serialization ("pairs", proxy-wasm-cpp-host src/pairs_util.cc), all integers u32 LE:
//   N | N × (name_len, value_len) | N × (name bytes, 0x00, value bytes, 0x00)
// Envoy parses module-supplied pairs strictly and silently treats a malformed buffer as an empty map,
// so the writer below must be exact.
import { utf8Length, writeUtf8 } from "./memory";

/** One header (or metadata / trailer) entry. Envoy stores names lower-cased. */
export class HeaderPair {
  /**
   * False when the host's bytes of the name or value were not valid UTF-8: each invalid byte then reads as
   * U+FFFD, so the text never equals what a lenient decoder would make of it (an overlong `c1 a1` is not `a`),
   * and exact/prefix/suffix comparisons on it agree with Envoy's byte comparisons for values without U+FFFD.
   */
  valid: bool = true;

  constructor(public name: string, public value: string) {}
}

/** `size` bytes at `ptr` as text: UTF-8 decoded when valid, else every byte of an invalid sequence as U+FFFD. */
function decodeText(ptr: usize, size: usize, pair: HeaderPair): string {
  if (isUtf8(ptr, ptr + size)) return String.UTF8.decodeUnsafe(ptr, size);
  pair.valid = false;
  return decodeReplacing(ptr, size);
}

/** Lossy strict decoding: one UTF-16 unit per byte at most, so `size` units of scratch always suffice. */
function decodeReplacing(ptr: usize, size: usize): string {
  const units = new ArrayBuffer(<i32>(size << 1));
  const out = changetype<usize>(units);
  let n: usize = 0;
  let p = ptr;
  const end = ptr + size;
  while (p < end) {
    const length = validSequenceLength(p, end);
    if (length == 0) {
      store<u16>(out + (n << 1), 0xfffd);
      n++;
      p++;
      continue;
    }
    if (length == 1) {
      store<u16>(out + (n << 1), load<u8>(p));
      n++;
    } else {
      const cp = codePointAt(p, length);
      if (cp >= 0x10000) {
        store<u16>(out + (n << 1), <u16>(0xd800 + ((cp - 0x10000) >> 10)));
        store<u16>(out + ((n + 1) << 1), <u16>(0xdc00 + ((cp - 0x10000) & 0x3ff)));
        n += 2;
      } else {
        store<u16>(out + (n << 1), <u16>cp);
        n++;
      }
    }
    p += length;
  }
  return String.UTF16.decodeUnsafe(out, n << 1);
}

function codePointAt(p: usize, length: usize): u32 {
  const b = <u32>load<u8>(p);
  let cp: u32 = length == 2 ? b & 0x1f : length == 3 ? b & 0x0f : b & 0x07;
  for (let k: usize = 1; k < length; k++) cp = (cp << 6) | (<u32>load<u8>(p + k) & 0x3f);
  return cp;
}

/** Decodes a host-returned pairs block (not freed here). ptr 0 or size < 4 = empty. */
export function decodePairs(ptr: usize, size: usize): HeaderPair[] {
  if (ptr == 0 || size < 4) return new Array<HeaderPair>(0);
  const count = <i32>load<u32>(ptr);
  if (count < 0 || (<usize>count << 3) + 4 > size) return new Array<HeaderPair>(0);
  const out = new Array<HeaderPair>(count);
  let sizes = ptr + 4;
  let data = sizes + <usize>count * 8;
  const end = ptr + size;
  for (let i = 0; i < count; i++) {
    const nameLen = <usize>load<u32>(sizes);
    const valueLen = <usize>load<u32>(sizes, 4);
    sizes += 8;
    if (data + nameLen + valueLen + 2 > end) {
      out.length = i;
      break;
    }
    const pair = new HeaderPair("", "");
    pair.name = decodeText(data, nameLen, pair);
    data += nameLen + 1;
    pair.value = decodeText(data, valueLen, pair);
    data += valueLen + 1;
    out[i] = pair;
  }
  return out;
}

/**
 * True when every name and value in a host-returned pairs block is valid UTF-8 (so decoding is lossless). The
 * strings are NUL-separated and NUL is never part of a multi-byte sequence, so the data area is checked as one.
 */
export function pairsAreUtf8(ptr: usize, size: usize): bool {
  if (ptr == 0 || size < 4) return true;
  const count = <usize>load<u32>(ptr);
  const data = ptr + 4 + count * 8;
  return data <= ptr + size && isUtf8(data, ptr + size);
}

/** Strict UTF-8 check of [p, end): no overlong forms, surrogates or code points above U+10FFFF. */
function isUtf8(p: usize, end: usize): bool {
  while (p < end) {
    if (load<u8>(p) < 0x80) {
      p++;
      continue;
    }
    const length = validSequenceLength(p, end);
    if (length == 0) return false;
    p += length;
  }
  return true;
}

/** Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes there are not one. */
function validSequenceLength(p: usize, end: usize): usize {
  const b = <u32>load<u8>(p);
  if (b < 0x80) return 1;
  let length: usize;
  let min: u32;
  let cp: u32;
  if ((b & 0xe0) == 0xc0) {
    length = 2; min = 0x80; cp = b & 0x1f;
  } else if ((b & 0xf0) == 0xe0) {
    length = 3; min = 0x800; cp = b & 0x0f;
  } else if ((b & 0xf8) == 0xf0) {
    length = 4; min = 0x10000; cp = b & 0x07;
  } else {
    return 0;
  }
  if (p + length > end) return 0;
  for (let k: usize = 1; k < length; k++) {
    const c = <u32>load<u8>(p + k);
    if ((c & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return length;
}

/** Bytes needed to encode `pairs` (0 for null or empty: Envoy reads a zero-size buffer as an empty map). */
export function pairsSize(pairs: HeaderPair[] | null): usize {
  if (pairs === null || pairs.length == 0) return 0;
  let size: usize = 4;
  for (let i = 0, n = pairs.length; i < n; i++) {
    const p = unchecked(pairs[i]);
    size += 10 + utf8Length(p.name) + utf8Length(p.value);
  }
  return size;
}

/** Encodes `pairs` at `dst` (must have pairsSize bytes); returns the address after the encoding. */
export function writePairs(pairs: HeaderPair[] | null, dst: usize): usize {
  if (pairs === null || pairs.length == 0) return dst;
  const count = pairs.length;
  store<u32>(dst, count);
  let sizes = dst + 4;
  let data = sizes + <usize>count * 8;
  for (let i = 0; i < count; i++) {
    const p = unchecked(pairs[i]);
    const nameEnd = writeUtf8(p.name, data);
    store<u8>(nameEnd, 0);
    const valueStart = nameEnd + 1;
    const valueEnd = writeUtf8(p.value, valueStart);
    store<u8>(valueEnd, 0);
    store<u32>(sizes, <u32>(nameEnd - data));
    store<u32>(sizes, <u32>(valueEnd - valueStart), 4);
    sizes += 8;
    data = valueEnd + 1;
  }
  return data;
}

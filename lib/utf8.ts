// Strict UTF-8 decoding: malformed input is reported as null instead of being replaced or trapping.

import { StringBuilder } from "./strings";

/**
 * Decodes `bytes[start, end)` as UTF-8 (RFC 3629): rejects overlong forms, surrogates, code points above
 * U+10FFFF and truncated sequences by returning null. Indices are clamped to the array.
 */
export function decodeUtf8Strict(bytes: Uint8Array, start: i32 = 0, end: i32 = i32.MAX_VALUE): string | null {
  if (start < 0) start = 0;
  if (end > bytes.length) end = bytes.length;
  const out = new StringBuilder(end > start ? end - start : 8);
  let i = start;
  while (i < end) {
    const b0 = <i32>unchecked(bytes[i]);
    if (b0 < 0x80) {
      out.appendCharCode(b0);
      i++;
      continue;
    }
    let need = 0;
    let cp = 0;
    let minimum = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1; cp = b0 & 0x1f; minimum = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2; cp = b0 & 0x0f; minimum = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3; cp = b0 & 0x07; minimum = 0x10000;
    } else {
      return null;
    }
    if (i + need >= end) return null; // truncated sequence
    for (let k = 1; k <= need; k++) {
      const b = <i32>unchecked(bytes[i + k]);
      if ((b & 0xc0) != 0x80) return null;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < minimum || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    out.appendCodePoint(cp);
    i += need + 1;
  }
  return out.toString();
}

/** Number of bytes `s` takes as UTF-8 (lone surrogates count as 3, as WTF-8 encodes them). */
export function utf8ByteLength(s: string): i32 {
  return String.UTF8.byteLength(s);
}

/** True when `s` contains an unpaired UTF-16 surrogate (which has no UTF-8 encoding). */
export function hasLoneSurrogate(s: string): bool {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return true;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

// Percent-encoding (RFC 3986 §2.1) over UTF-8, as W3C baggage values use it.

import { StringBuilder, hexDigitUpper, hexDigitValue } from "./strings";
import { decodeUtf8Strict } from "./utf8";

/**
 * Decodes `%XX` escapes to bytes and reads the result as UTF-8. Returns null when a `%` is not followed by
 * two hex digits or the decoded bytes are not valid UTF-8. Text without `%` is returned unchanged.
 */
export function percentDecode(s: string): string | null {
  if (s.indexOf("%") < 0) return s;
  const raw = Uint8Array.wrap(String.UTF8.encode(s));
  const n = raw.length;
  const bytes = new Uint8Array(n);
  let out = 0;
  let i = 0;
  while (i < n) {
    const b = <i32>unchecked(raw[i]);
    if (b != 0x25) {
      unchecked((bytes[out++] = <u8>b));
      i++;
      continue;
    }
    if (i + 2 >= n) return null;
    const hi = hexDigitValue(<i32>unchecked(raw[i + 1]));
    const lo = hexDigitValue(<i32>unchecked(raw[i + 2]));
    if (hi < 0 || lo < 0) return null;
    unchecked((bytes[out++] = <u8>((hi << 4) | lo)));
    i += 3;
  }
  return decodeUtf8Strict(bytes, 0, out);
}

/**
 * Percent-encodes every UTF-8 byte of `s` whose character `keep` rejects (upper-case hex, as RFC 3986
 * recommends). Characters at or above U+0080 are always encoded.
 */
export function percentEncode(s: string, keep: (c: i32) => bool): string {
  const n = s.length;
  let clean = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || !keep(c)) {
      clean = false;
      break;
    }
  }
  if (clean) return s;
  const bytes = Uint8Array.wrap(String.UTF8.encode(s));
  const out = new StringBuilder(bytes.length + 16);
  for (let i = 0; i < bytes.length; i++) {
    const b = <i32>unchecked(bytes[i]);
    if (b < 0x80 && keep(b)) {
      out.appendCharCode(b);
    } else {
      out.appendCharCode(0x25);
      out.append(hexDigitUpper(b >> 4));
      out.append(hexDigitUpper(b & 15));
    }
  }
  return out.toString();
}

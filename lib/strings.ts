// Small string helpers shared by every parser: a linear-time string builder and ASCII character classes.
import { formatInt } from "../sdk/format";

/** Appends UTF-16 code units into a growable buffer; `toString()` copies once, so building is linear. */
export class StringBuilder {
  private buffer: ArrayBuffer;
  private units: i32 = 0;

  constructor(capacityUnits: i32 = 32) {
    this.buffer = new ArrayBuffer(max(capacityUnits, 8) << 1);
  }

  get length(): i32 {
    return this.units;
  }

  private reserve(extraUnits: i32): void {
    const needed = this.units + extraUnits;
    const capacity = this.buffer.byteLength >> 1;
    if (needed <= capacity) return;
    let next = capacity << 1;
    if (next < needed) next = needed;
    const grown = new ArrayBuffer(next << 1);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.buffer), <usize>(this.units << 1));
    this.buffer = grown;
  }

  append(s: string): StringBuilder {
    const n = s.length;
    if (n == 0) return this;
    this.reserve(n);
    memory.copy(changetype<usize>(this.buffer) + (<usize>this.units << 1), changetype<usize>(s), <usize>n << 1);
    this.units += n;
    return this;
  }

  /** Appends the part of `s` from `start` (inclusive) to `end` (exclusive); indices are clamped. */
  appendRange(s: string, start: i32, end: i32): StringBuilder {
    if (start < 0) start = 0;
    if (end > s.length) end = s.length;
    if (end <= start) return this;
    const n = end - start;
    this.reserve(n);
    memory.copy(
      changetype<usize>(this.buffer) + (<usize>this.units << 1),
      changetype<usize>(s) + (<usize>start << 1),
      <usize>n << 1,
    );
    this.units += n;
    return this;
  }

  /** Appends one UTF-16 code unit (only the low 16 bits of `unit` are used). */
  appendCharCode(unit: i32): StringBuilder {
    this.reserve(1);
    store<u16>(changetype<usize>(this.buffer) + (<usize>this.units << 1), <u16>unit);
    this.units += 1;
    return this;
  }

  /** Appends a Unicode code point (surrogate pair above U+FFFF). Out-of-range values append U+FFFD. */
  appendCodePoint(cp: i32): StringBuilder {
    if (cp < 0 || cp > 0x10ffff) return this.appendCharCode(0xfffd);
    if (cp < 0x10000) return this.appendCharCode(cp);
    const v = cp - 0x10000;
    this.appendCharCode(0xd800 | (v >> 10));
    return this.appendCharCode(0xdc00 | (v & 0x3ff));
  }

  appendInt(n: i64): StringBuilder {
    return this.append(formatInt(n));
  }

  clear(): void {
    this.units = 0;
  }

  toString(): string {
    return String.UTF16.decodeUnsafe(changetype<usize>(this.buffer), <usize>this.units << 1);
  }
}

export function isAsciiDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

export function isAsciiAlpha(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

export function isAsciiAlphaNumeric(c: i32): bool {
  return isAsciiDigit(c) || isAsciiAlpha(c);
}

/** Value of a hexadecimal digit, or -1. */
export function hexDigitValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const HEX_LOWER = "0123456789abcdef";
const HEX_UPPER = "0123456789ABCDEF";

/** Lower-case hexadecimal digit for 0..15. */
export function hexDigitLower(v: i32): string {
  return HEX_LOWER.charAt(v & 15);
}

/** Upper-case hexadecimal digit for 0..15. */
export function hexDigitUpper(v: i32): string {
  return HEX_UPPER.charAt(v & 15);
}

/** RFC 7230 `tchar`: the characters allowed in an HTTP token. */
export function isTokenChar(c: i32): bool {
  if (isAsciiAlphaNumeric(c)) return true;
  // ! # $ % & ' * + - . ^ _ ` | ~
  return (
    c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2a || c == 0x2b ||
    c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e
  );
}

/** True when `s` is a non-empty RFC 7230 token. */
export function isToken(s: string): bool {
  const n = s.length;
  if (n == 0) return false;
  for (let i = 0; i < n; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** HTTP optional whitespace (space or horizontal tab). */
export function isOws(c: i32): bool {
  return c == 0x20 || c == 0x09;
}

/** Removes leading and trailing spaces and tabs (HTTP OWS) — not other whitespace. */
export function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return start == 0 && end == s.length ? s : s.substring(start, end);
}

/** ASCII-only lower-casing: letters A-Z become a-z, every other code unit is kept (locale independent). */
export function asciiLower(s: string): string {
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) break;
    i++;
  }
  if (i == n) return s;
  const out = new StringBuilder(n);
  out.appendRange(s, 0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    out.appendCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
  }
  return out.toString();
}

/** ASCII case-insensitive equality (non-ASCII code units must be identical). */
export function asciiEqualsIgnoreCase(a: string, b: string): bool {
  const n = a.length;
  if (n != b.length) return false;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x == y) continue;
    if (x >= 0x41 && x <= 0x5a) x += 32;
    if (y >= 0x41 && y <= 0x5a) y += 32;
    if (x != y) return false;
  }
  return true;
}

/** True when every code unit of `s` is printable ASCII (0x20..0x7e). */
export function isPrintableAscii(s: string): bool {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/**
 * Splits `s` on `separator` into at most `maxParts` pieces. Returns null when there would be more pieces,
 * so hostile input with thousands of separators is rejected without allocating them all.
 */
export function splitBounded(s: string, separator: i32, maxParts: i32): Array<string> | null {
  const parts = new Array<string>();
  let start = 0;
  const n = s.length;
  for (let i = 0; i <= n; i++) {
    if (i == n || s.charCodeAt(i) == separator) {
      if (parts.length >= maxParts) return null;
      parts.push(s.substring(start, i));
      start = i + 1;
    }
  }
  return parts;
}

/** Decimal digits of an unsigned integer, at most `maxValue`; -1 for empty, non-digit or too large input. */
export function parseDecimal(s: string, maxValue: i64): i64 {
  const n = s.length;
  if (n == 0 || n > 19) return -1;
  let v: i64 = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!isAsciiDigit(c)) return -1;
    if (v > 922337203685477579) return -1; // the next step would overflow i64
    v = v * 10 + <i64>(c - 0x30);
    if (v > maxValue) return -1;
  }
  return v;
}

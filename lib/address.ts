// IPv4/IPv6 addresses and ip:port socket addresses: strict parsing, RFC 5952 canonical formatting.

import { formatInt } from "../sdk/format";
import { StringBuilder, hexDigitLower, hexDigitValue, isAsciiAlphaNumeric, isAsciiDigit } from "./strings";

const MAX_IPV4_TEXT: i32 = 15; // 255.255.255.255
const MAX_IPV6_TEXT: i32 = 45; // ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255
const MAX_HOSTNAME: i32 = 253;

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address in network byte order. */
export class IpAddress {
  /** Use `parseIp`, `IpAddress.v4` or `IpAddress.fromBytes`; `bytes` must hold 4 or 16 bytes. */
  constructor(public readonly isV6: bool, public readonly bytes: Uint8Array) {}

  static v4(a: i32, b: i32, c: i32, d: i32): IpAddress {
    const bytes = new Uint8Array(4);
    unchecked((bytes[0] = <u8>a));
    unchecked((bytes[1] = <u8>b));
    unchecked((bytes[2] = <u8>c));
    unchecked((bytes[3] = <u8>d));
    return new IpAddress(false, bytes);
  }

  /** 4 bytes → IPv4, 16 bytes → IPv6, anything else → null. The bytes are copied. */
  static fromBytes(bytes: Uint8Array): IpAddress | null {
    if (bytes.length != 4 && bytes.length != 16) return null;
    return new IpAddress(bytes.length == 16, bytes.slice(0));
  }

  get isV4(): bool {
    return !this.isV6;
  }

  /** Number of address bits: 32 or 128. */
  get bitLength(): i32 {
    return this.isV6 ? 128 : 32;
  }

  /** Byte `i` (0-based, network order); 0 when out of range. */
  byteAt(i: i32): i32 {
    if (i < 0 || i >= this.bytes.length) return 0;
    return <i32>unchecked(this.bytes[i]);
  }

  /** `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2). */
  isV4Mapped(): bool {
    if (!this.isV6) return false;
    for (let i = 0; i < 10; i++) if (this.byteAt(i) != 0) return false;
    return this.byteAt(10) == 0xff && this.byteAt(11) == 0xff;
  }

  /** The embedded IPv4 address of a v4-mapped IPv6 address; otherwise this address itself. */
  unmapped(): IpAddress {
    if (!this.isV4Mapped()) return this;
    return IpAddress.v4(this.byteAt(12), this.byteAt(13), this.byteAt(14), this.byteAt(15));
  }

  /** The v4-mapped IPv6 form of an IPv4 address; IPv6 addresses are returned unchanged. */
  toV4Mapped(): IpAddress {
    if (this.isV6) return this;
    const bytes = new Uint8Array(16);
    unchecked((bytes[10] = 0xff));
    unchecked((bytes[11] = 0xff));
    for (let i = 0; i < 4; i++) unchecked((bytes[12 + i] = <u8>this.byteAt(i)));
    return new IpAddress(true, bytes);
  }

  isUnspecified(): bool {
    for (let i = 0; i < this.bytes.length; i++) if (this.byteAt(i) != 0) return false;
    return true;
  }

  isLoopback(): bool {
    if (!this.isV6) return this.byteAt(0) == 127;
    for (let i = 0; i < 15; i++) if (this.byteAt(i) != 0) return false;
    return this.byteAt(15) == 1;
  }

  /** Same family and same bytes (an IPv4 address never equals its v4-mapped form). */
  equals(other: IpAddress): bool {
    if (this.isV6 != other.isV6) return false;
    for (let i = 0; i < this.bytes.length; i++) if (this.byteAt(i) != other.byteAt(i)) return false;
    return true;
  }

  /** Canonical text: dotted quad, or RFC 5952 for IPv6 (v4-mapped as `::ffff:a.b.c.d`). */
  toString(): string {
    return formatIp(this);
  }
}

/** Parses dotted-quad IPv4: exactly four decimal octets 0..255, no leading zeros, nothing else. */
export function parseIpv4(s: string): IpAddress | null {
  const n = s.length;
  if (n < 7 || n > MAX_IPV4_TEXT) return null;
  const bytes = new Uint8Array(4);
  if (!parseIpv4Into(s, 0, n, bytes, 0)) return null;
  return new IpAddress(false, bytes);
}

/** Parses s[start, end) as a dotted quad into out[at..at+3]. */
function parseIpv4Into(s: string, start: i32, end: i32, out: Uint8Array, at: i32): bool {
  let i = start;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (i >= end || s.charCodeAt(i) != 0x2e) return false;
      i++;
    }
    const digitsStart = i;
    let value = 0;
    while (i < end && isAsciiDigit(s.charCodeAt(i)) && i - digitsStart < 3) {
      value = value * 10 + (s.charCodeAt(i) - 0x30);
      i++;
    }
    const digits = i - digitsStart;
    if (digits == 0 || value > 255) return false;
    if (digits > 1 && s.charCodeAt(digitsStart) == 0x30) return false; // leading zero: ambiguous (octal)
    if (at + octet >= out.length) return false;
    unchecked((out[at + octet] = <u8>value));
  }
  return i == end;
}

/**
 * Parses IPv6 text (RFC 4291 §2.2): hex groups in either case, at most one `::`, an optional trailing
 * dotted quad. Zone ids (`%eth0`), brackets and anything longer than 45 characters are rejected.
 */
export function parseIpv6(s: string): IpAddress | null {
  const n = s.length;
  if (n < 2 || n > MAX_IPV6_TEXT) return null;
  const groups = new StaticArray<i32>(8);
  let count = 0;
  let gap = -1; // index in `groups` where `::` stands
  let i = 0;
  if (s.charCodeAt(0) == 0x3a) {
    if (s.charCodeAt(1) != 0x3a) return null;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    let tokenEnd = i;
    let hasDot = false;
    while (tokenEnd < n) {
      const c = s.charCodeAt(tokenEnd);
      if (c == 0x3a) break;
      if (c == 0x2e) hasDot = true;
      tokenEnd++;
    }
    if (hasDot) {
      if (tokenEnd != n || count > 6) return null;
      const v4 = new Uint8Array(4);
      if (!parseIpv4Into(s, i, n, v4, 0)) return null;
      unchecked((groups[count++] = (<i32>unchecked(v4[0]) << 8) | <i32>unchecked(v4[1])));
      unchecked((groups[count++] = (<i32>unchecked(v4[2]) << 8) | <i32>unchecked(v4[3])));
      i = n;
      break;
    }
    const digits = tokenEnd - i;
    if (digits < 1 || digits > 4 || count >= 8) return null;
    let value = 0;
    for (let k = i; k < tokenEnd; k++) {
      const d = hexDigitValue(s.charCodeAt(k));
      if (d < 0) return null;
      value = (value << 4) | d;
    }
    unchecked((groups[count++] = value));
    i = tokenEnd;
    if (i == n) break;
    i++; // ':'
    if (i < n && s.charCodeAt(i) == 0x3a) {
      if (gap >= 0) return null;
      gap = count;
      i++;
    } else if (i == n) {
      return null; // trailing single colon
    }
  }
  if (gap < 0 ? count != 8 : count > 7) return null;
  const bytes = new Uint8Array(16);
  const tail = gap < 0 ? 0 : count - gap;
  for (let g = 0; g < count; g++) {
    const target = gap >= 0 && g >= gap ? 8 - tail + (g - gap) : g;
    const value = unchecked(groups[g]);
    unchecked((bytes[target * 2] = <u8>(value >> 8)));
    unchecked((bytes[target * 2 + 1] = <u8>value));
  }
  return new IpAddress(true, bytes);
}

/** Parses an IPv4 or IPv6 address (no brackets, no port, no zone id). */
export function parseIp(s: string): IpAddress | null {
  return s.indexOf(":") >= 0 ? parseIpv6(s) : parseIpv4(s);
}

/** Canonical text of `ip` (RFC 5952 §4 for IPv6: lower case, no leading zeros, longest zero run as `::`). */
export function formatIp(ip: IpAddress): string {
  if (!ip.isV6) {
    return formatInt(ip.byteAt(0)) + "." + formatInt(ip.byteAt(1)) + "." + formatInt(ip.byteAt(2)) + "." + formatInt(ip.byteAt(3));
  }
  if (ip.isV4Mapped()) {
    return "::ffff:" + formatInt(ip.byteAt(12)) + "." + formatInt(ip.byteAt(13)) + "." + formatInt(ip.byteAt(14)) + "." + formatInt(ip.byteAt(15));
  }
  let bestStart = -1;
  let bestLength = 0;
  let runStart = -1;
  for (let g = 0; g <= 8; g++) {
    const zero = g < 8 && ip.byteAt(g * 2) == 0 && ip.byteAt(g * 2 + 1) == 0;
    if (zero) {
      if (runStart < 0) runStart = g;
    } else if (runStart >= 0) {
      const length = g - runStart;
      if (length > bestLength) {
        bestStart = runStart;
        bestLength = length;
      }
      runStart = -1;
    }
  }
  if (bestLength < 2) bestStart = -1; // RFC 5952 §4.2.2: a single zero group is not shortened
  const out = new StringBuilder(40);
  for (let g = 0; g < 8; g++) {
    if (g == bestStart) {
      out.append("::");
      g += bestLength - 1;
      continue;
    }
    if (g > 0 && g != bestStart + bestLength) out.appendCharCode(0x3a);
    appendHexGroup(out, (ip.byteAt(g * 2) << 8) | ip.byteAt(g * 2 + 1));
  }
  return out.toString();
}

function appendHexGroup(out: StringBuilder, value: i32): void {
  let started = false;
  for (let shift = 12; shift >= 0; shift -= 4) {
    const d = (value >> shift) & 15;
    if (d != 0 || started || shift == 0) {
      out.append(hexDigitLower(d));
      started = true;
    }
  }
}

/** Decimal port 0..65535 (1 to 5 digits, nothing else); -1 when invalid. */
export function parsePort(s: string): i32 {
  const n = s.length;
  if (n < 1 || n > 5) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!isAsciiDigit(c)) return -1;
    value = value * 10 + (c - 0x30);
  }
  return value <= 65535 ? value : -1;
}

/** True for a usable port number (1..65535; 0 means "any" and is not a destination). */
export function isValidPort(port: i64): bool {
  return port >= 1 && port <= 65535;
}

/** An IP address and port, as Envoy's `source.address` / `destination.address` attributes carry them. */
export class SocketAddress {
  constructor(public readonly ip: IpAddress, public readonly port: i32) {}

  /** `10.0.0.1:80` or `[2001:db8::1]:80`. */
  toString(): string {
    return formatSocketAddress(this.ip, this.port);
  }

  equals(other: SocketAddress): bool {
    return this.port == other.port && this.ip.equals(other.ip);
  }
}

/** `ip:port` with IPv6 in brackets (`[::1]:80`), the form Envoy and ztunnel use. */
export function formatSocketAddress(ip: IpAddress, port: i32): string {
  const host = formatIp(ip);
  return (ip.isV6 ? "[" + host + "]" : host) + ":" + formatInt(port);
}

/**
 * Parses `a.b.c.d:port` or `[v6]:port` (port 0..65535). Unbracketed IPv6, missing ports, zone ids and
 * trailing garbage are rejected (null).
 */
export function parseSocketAddress(s: string): SocketAddress | null {
  const n = s.length;
  if (n < 3 || n > MAX_IPV6_TEXT + 8) return null;
  if (s.charCodeAt(0) == 0x5b) {
    const close = s.indexOf("]");
    if (close < 0 || s.charCodeAt(close + 1) != 0x3a) return null;
    const ip = parseIpv6(s.substring(1, close));
    const port = parsePort(s.substring(close + 2));
    if (ip === null || port < 0) return null;
    return new SocketAddress(ip, port);
  }
  const colon = s.lastIndexOf(":");
  if (colon < 0) return null;
  const ip = parseIpv4(s.substring(0, colon));
  const port = parsePort(s.substring(colon + 1));
  if (ip === null || port < 0) return null;
  return new SocketAddress(ip, port);
}

/** A `host:port` authority whose host is an IP address or a DNS name. */
export class HostPort {
  constructor(
    /** The host as written for DNS names; canonical text for IP addresses (without brackets). */
    public readonly host: string,
    /** The parsed address when the host is an IP literal, otherwise null. */
    public readonly ip: IpAddress | null,
    /** The port, or -1 when absent and not required. */
    public readonly port: i32,
  ) {}

  /** `host:port`, bracketing IPv6 (just the host when the port is absent). */
  toString(): string {
    const ip = this.ip;
    const host = ip !== null && ip.isV6 ? "[" + this.host + "]" : this.host;
    return this.port >= 0 ? host + ":" + formatInt(this.port) : host;
  }
}

/**
 * Parses an HTTP authority / HBONE `:authority`: `a.b.c.d:port`, `[v6]:port` or `dns-name:port`.
 * DNS names are 1..253 characters of letters, digits, `-`, `_` and `.` (no empty labels). With
 * `requirePort` false the `:port` may be omitted (port -1). Returns null for anything else.
 */
export function parseHostPort(s: string, requirePort: bool = true): HostPort | null {
  const n = s.length;
  if (n == 0 || n > MAX_HOSTNAME + 8) return null;
  if (s.charCodeAt(0) == 0x5b) {
    const close = s.indexOf("]");
    if (close < 0) return null;
    const ip = parseIpv6(s.substring(1, close));
    if (ip === null) return null;
    if (close == n - 1) return requirePort ? null : new HostPort(formatIp(ip), ip, -1);
    if (s.charCodeAt(close + 1) != 0x3a) return null;
    const port = parsePort(s.substring(close + 2));
    return port < 0 ? null : new HostPort(formatIp(ip), ip, port);
  }
  const colon = s.lastIndexOf(":");
  let host = s;
  let port = -1;
  if (colon >= 0) {
    if (s.indexOf(":") != colon) return null; // bare IPv6 or junk: IPv6 needs brackets
    host = s.substring(0, colon);
    port = parsePort(s.substring(colon + 1));
    if (port < 0) return null;
  } else if (requirePort) {
    return null;
  }
  const v4 = parseIpv4(host);
  if (v4 !== null) return new HostPort(formatIp(v4), v4, port);
  if (!isDnsName(host)) return null;
  return new HostPort(host, null, port);
}

/**
 * Letters, digits, `-`, `_` in non-empty dot-separated labels of at most 63 characters; 1..253 total; one
 * trailing dot allowed. A name whose last label is all digits is rejected: it would be a malformed IPv4
 * literal such as `010.1.1.1` or `1.2.3` (the WHATWG URL "ends in a number" rule).
 */
export function isDnsName(s: string): bool {
  let n = s.length;
  if (n > 1 && s.charCodeAt(n - 1) == 0x2e) n--; // FQDN form
  if (n == 0 || n > MAX_HOSTNAME) return false;
  let label = 0;
  let labelAllDigits = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x2e) {
      if (label == 0) return false;
      label = 0;
      labelAllDigits = true;
      continue;
    }
    if (!isAsciiAlphaNumeric(c) && c != 0x2d && c != 0x5f) return false;
    if (!isAsciiDigit(c)) labelAllDigits = false;
    if (++label > 63) return false;
  }
  return label > 0 && !labelAllDigits;
}

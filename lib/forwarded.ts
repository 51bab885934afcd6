// RFC 7239 `forwarded` (parse, and build as ztunnel sends it) and `x-forwarded-for` (parse, append as Envoy does).

import { IpAddress, SocketAddress, formatSocketAddress, formatIp, parseIp, parseIpv4, parseIpv6, parsePort } from "./address";
import { StringBuilder, asciiLower, isAsciiAlphaNumeric, isOws, isToken, isTokenChar, trimOws } from "./strings";

/** Headers longer than this (in characters) are rejected rather than parsed. */
export const FORWARDED_MAX_LENGTH: i32 = 8192;
export const FORWARDED_MAX_ELEMENTS: i32 = 64;
export const FORWARDED_MAX_PAIRS: i32 = 16;
export const XFF_MAX_ENTRIES: i32 = 64;

export class ForwardedPair {
  /** Parameter name, lower-cased (RFC 7239 §4: names are case-insensitive). */
  constructor(public readonly name: string, public readonly value: string) {}
}

/** One forwarded-element (one proxy hop): its parameters with quoted-strings already unquoted. */
export class ForwardedElement {
  pairs: Array<ForwardedPair> = new Array<ForwardedPair>();

  /** The value of parameter `name` (lower-case), or null. */
  get(name: string): string | null {
    for (let i = 0; i < this.pairs.length; i++) {
      const p = unchecked(this.pairs[i]);
      if (p.name == name) return p.value;
    }
    return null;
  }

  get forValue(): string | null { return this.get("for"); }
  get byValue(): string | null { return this.get("by"); }
  get host(): string | null { return this.get("host"); }
  get proto(): string | null { return this.get("proto"); }
}

/**
 * Parses a `forwarded` header: comma-separated elements of `;`-separated `token=value` pairs, where the
 * value is a token or a quoted-string (backslash escapes resolved). OWS around `,` and `;` is tolerated,
 * empty elements/pairs are skipped. Returns null for malformed syntax, a parameter repeated within an
 * element (RFC 7239 §4 forbids it), or input over the length/element/pair limits.
 */
export function parseForwarded(header: string): Array<ForwardedElement> | null {
  const n = header.length;
  if (n > FORWARDED_MAX_LENGTH) return null;
  const elements = new Array<ForwardedElement>();
  let element = new ForwardedElement();
  let i = 0;
  while (true) {
    while (i < n && isOws(header.charCodeAt(i))) i++;
    if (i >= n) break;
    const c = header.charCodeAt(i);
    if (c == 0x2c) { // ','
      if (element.pairs.length > 0) {
        if (elements.length >= FORWARDED_MAX_ELEMENTS) return null;
        elements.push(element);
        element = new ForwardedElement();
      }
      i++;
      continue;
    }
    if (c == 0x3b) { // ';'
      i++;
      continue;
    }
    const nameStart = i;
    while (i < n && isTokenChar(header.charCodeAt(i))) i++;
    if (i == nameStart || header.charCodeAt(i) != 0x3d) return null;
    const name = asciiLower(header.substring(nameStart, i));
    i++; // '='
    let value: string;
    if (header.charCodeAt(i) == 0x22) {
      const quoted = new StringBuilder(16);
      i++;
      let closed = false;
      while (i < n) {
        const q = header.charCodeAt(i);
        if (q == 0x22) {
          closed = true;
          i++;
          break;
        }
        if (q == 0x5c) {
          const next = header.charCodeAt(i + 1);
          if (next < 0 || !isQuotedPairChar(next)) return null;
          quoted.appendCharCode(next);
          i += 2;
          continue;
        }
        if (!isQdText(q)) return null;
        quoted.appendCharCode(q);
        i++;
      }
      if (!closed) return null;
      value = quoted.toString();
    } else {
      const valueStart = i;
      while (i < n && isTokenChar(header.charCodeAt(i))) i++;
      if (i == valueStart) return null;
      value = header.substring(valueStart, i);
    }
    if (element.get(name) !== null || element.pairs.length >= FORWARDED_MAX_PAIRS) return null;
    element.pairs.push(new ForwardedPair(name, value));
    while (i < n && isOws(header.charCodeAt(i))) i++;
    if (i < n) {
      const sep = header.charCodeAt(i);
      if (sep != 0x3b && sep != 0x2c) return null;
    }
  }
  if (element.pairs.length > 0) {
    if (elements.length >= FORWARDED_MAX_ELEMENTS) return null;
    elements.push(element);
  }
  return elements;
}

function isQdText(c: i32): bool {
  return c == 0x09 || c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

function isQuotedPairChar(c: i32): bool {
  return c == 0x09 || (c >= 0x20 && c <= 0x7e);
}

/** The first `host=` value of any element, or null (ztunnel reads only this parameter, ZT `parse_forwarded_host`). */
export function forwardedHost(header: string): string | null {
  const elements = parseForwarded(header);
  if (elements === null) return null;
  for (let i = 0; i < elements.length; i++) {
    const host = unchecked(elements[i]).host;
    if (host !== null && host.length > 0) return host;
  }
  return null;
}

/** A `for=`/`by=` node (RFC 7239 §6): an address, `unknown`, or an obfuscated `_name`; port optional. */
export class ForwardedNode {
  constructor(
    /** The address, or null for `unknown` / obfuscated names. */
    public readonly ip: IpAddress | null,
    /** The numeric port, or -1 when absent or obfuscated. */
    public readonly port: i32,
    /** `unknown` or `_obfuscated` when `ip` is null, else "". */
    public readonly name: string,
  ) {}
}

/** Parses a node value: `192.0.2.1`, `192.0.2.1:80`, `[2001:db8::1]`, `[2001:db8::1]:80`, `unknown`, `_x:_y`. */
export function parseForwardedNode(value: string): ForwardedNode | null {
  const n = value.length;
  if (n == 0 || n > 128) return null;
  let nameEnd = n;
  let ip: IpAddress | null = null;
  let name = "";
  if (value.charCodeAt(0) == 0x5b) {
    const close = value.indexOf("]");
    if (close < 0) return null;
    ip = parseIpv6(value.substring(1, close));
    if (ip === null) return null;
    nameEnd = close + 1;
  } else {
    const colon = value.indexOf(":");
    nameEnd = colon < 0 ? n : colon;
    const nodename = value.substring(0, nameEnd);
    if (nodename == "unknown" || isObfuscated(nodename)) {
      name = nodename;
    } else {
      ip = parseIpv4(nodename);
      if (ip === null) return null;
    }
  }
  if (nameEnd == n) return new ForwardedNode(ip, -1, name);
  if (value.charCodeAt(nameEnd) != 0x3a) return null;
  const portText = value.substring(nameEnd + 1);
  if (isObfuscated(portText)) return new ForwardedNode(ip, -1, name);
  const port = parsePort(portText);
  return port < 0 ? null : new ForwardedNode(ip, port, name);
}

/** RFC 7239 obfnode/obfport: `_` followed by letters, digits, `.`, `_`, `-`. */
function isObfuscated(s: string): bool {
  if (s.length < 2 || s.charCodeAt(0) != 0x5f) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isAsciiAlphaNumeric(c) && c != 0x2e && c != 0x5f && c != 0x2d) return false;
  }
  return true;
}

/**
 * The `forwarded` value ztunnel puts on its CONNECT (ZT `build_forwarded`): `for="<ip>:<port>"`, IPv6 as
 * `for="[<ip>]:<port>"`, then `;host=<service hostname>` when a host is given. A host that is not a token
 * is written as a quoted-string.
 */
export function buildForwarded(source: SocketAddress, host: string = ""): string {
  const out = new StringBuilder(64);
  out.append("for=\"").append(formatSocketAddress(source.ip, source.port)).append("\"");
  if (host.length > 0) out.append(";host=").append(forwardedValue(host));
  return out.toString();
}

/** `value` as a forwarded-pair value: raw when it is a token, otherwise a quoted-string. */
export function forwardedValue(value: string): string {
  if (isToken(value)) return value;
  const out = new StringBuilder(value.length + 8);
  out.appendCharCode(0x22);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 && c != 0x09) continue; // not representable; dropped
    if (c == 0x7f || c > 0x7e) continue;
    if (c == 0x22 || c == 0x5c) out.appendCharCode(0x5c);
    out.appendCharCode(c);
  }
  out.appendCharCode(0x22);
  return out.toString();
}

/**
 * Splits an `x-forwarded-for` value into trimmed entries, left (original client) to right (nearest proxy).
 * Returns null when an entry is empty or the header exceeds the length or entry limits.
 */
export function parseXForwardedFor(header: string): Array<string> | null {
  if (header.length > FORWARDED_MAX_LENGTH) return null;
  const entries = new Array<string>();
  let start = 0;
  const n = header.length;
  for (let i = 0; i <= n; i++) {
    if (i < n && header.charCodeAt(i) != 0x2c) continue;
    const entry = trimOws(header.substring(start, i));
    start = i + 1;
    if (entry.length == 0 || entries.length >= XFF_MAX_ENTRIES) return null;
    entries.push(entry);
  }
  return entries;
}

/** The IP of one X-Forwarded-For entry (a bare address, as Envoy's XFF handling expects), or null. */
export function xffEntryAddress(entry: string): IpAddress | null {
  return parseIp(trimOws(entry));
}

/** Appends `ip` to an existing X-Forwarded-For value with "," as Envoy does (`Utility::appendXff`). */
export function appendXForwardedFor(existing: string, ip: IpAddress): string {
  const text = formatIp(ip);
  return existing.length == 0 ? text : existing + "," + text;
}

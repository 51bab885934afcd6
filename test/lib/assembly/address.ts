// Test entry for lib/address.ts and lib/cidr.ts.
import "../../../sdk/runtime/abort";
import { IpAddress, parseIp, parseIpv4, parseIpv6, formatIp, parseSocketAddress, parseHostPort, parsePort, formatSocketAddress } from "../../../lib/address";
import { parseCidr } from "../../../lib/cidr";

export function ip(s: string): string {
  const a = parseIp(s);
  return a === null ? "!null" : a.toString();
}

export function ipv4(s: string): string {
  const a = parseIpv4(s);
  return a === null ? "!null" : a.toString();
}

export function ipv6(s: string): string {
  const a = parseIpv6(s);
  return a === null ? "!null" : a.toString();
}

/** Flags of a parsed address: family, mapped, loopback, unspecified, and its unmapped/mapped forms. */
export function info(s: string): string {
  const a = parseIp(s);
  if (a === null) return "!null";
  return (a.isV6 ? "v6" : "v4") + "|" + (a.isV4Mapped() ? "mapped" : "-") + "|" + (a.isLoopback() ? "loopback" : "-") + "|" +
    (a.isUnspecified() ? "unspecified" : "-") + "|" + a.unmapped().toString() + "|" + a.toV4Mapped().toString();
}

/** Formats raw bytes (4 or 16). */
export function formatBytes(buf: ArrayBuffer): string {
  const a = IpAddress.fromBytes(Uint8Array.wrap(buf));
  return a === null ? "!null" : formatIp(a);
}

/** Parses `s` and returns its bytes as hex (to compare with a reference parser). */
export function bytesOf(s: string): string {
  const a = parseIp(s);
  if (a === null) return "!null";
  let out = "";
  for (let i = 0; i < a.bytes.length; i++) {
    const b = a.byteAt(i);
    out += (b < 16 ? "0" : "") + b.toString(16);
  }
  return out;
}

export function equal(a: string, b: string): i32 {
  const x = parseIp(a);
  const y = parseIp(b);
  if (x === null || y === null) return -1;
  return x.equals(y) ? 1 : 0;
}

export function sock(s: string): string {
  const a = parseSocketAddress(s);
  return a === null ? "!null" : a.toString() + "|" + a.port.toString();
}

export function formatSock(ipText: string, port: i32): string {
  const a = parseIp(ipText);
  return a === null ? "!null" : formatSocketAddress(a, port);
}

export function hostPort(s: string, requirePort: bool): string {
  const h = parseHostPort(s, requirePort);
  if (h === null) return "!null";
  return h.toString() + "|" + h.host + "|" + (h.ip !== null ? "ip" : "dns") + "|" + h.port.toString();
}

export function port(s: string): i32 {
  return parsePort(s);
}

export function cidr(s: string): string {
  const c = parseCidr(s);
  return c === null ? "!null" : c.toString();
}

/** 1 / 0, or -1 when either side does not parse. */
export function contains(range: string, address: string): i32 {
  const c = parseCidr(range);
  const a = parseIp(address);
  if (c === null || a === null) return -1;
  return c.contains(a) ? 1 : 0;
}

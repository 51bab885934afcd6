// CIDR ranges (IPv4 and IPv6) and membership, with Envoy's CidrRange semantics.

import { formatInt } from "../sdk/format";
import { IpAddress, formatIp, parseIp } from "./address";
import { parseDecimal } from "./strings";

export class Cidr {
  /** `network` has every bit past `prefixLength` cleared. */
  constructor(public readonly network: IpAddress, public readonly prefixLength: i32) {}

  get isV6(): bool {
    return this.network.isV6;
  }

  /**
   * True when `ip` is in this range. As in Envoy's `CidrRange::isInRange`, the families must match: an
   * IPv4 range never contains an IPv6 address, not even a v4-mapped one (call `ip.unmapped()` first to
   * treat `::ffff:a.b.c.d` as IPv4).
   */
  contains(ip: IpAddress): bool {
    if (ip.isV6 != this.network.isV6) return false;
    const full = this.prefixLength >> 3;
    for (let i = 0; i < full; i++) if (ip.byteAt(i) != this.network.byteAt(i)) return false;
    const rest = this.prefixLength & 7;
    if (rest == 0) return true;
    const mask = (0xff << (8 - rest)) & 0xff;
    return (ip.byteAt(full) & mask) == this.network.byteAt(full);
  }

  /** `10.0.0.0/8`, `2001:db8::/32`. */
  toString(): string {
    return formatIp(this.network) + "/" + formatInt(this.prefixLength);
  }

  equals(other: Cidr): bool {
    return this.prefixLength == other.prefixLength && this.network.equals(other.network);
  }
}

/** The range of `ip` with `prefixLength` bits (host bits cleared); null when the length is out of range. */
export function cidrOf(ip: IpAddress, prefixLength: i32): Cidr | null {
  if (prefixLength < 0 || prefixLength > ip.bitLength) return null;
  const bytes = new Uint8Array(ip.bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bitsBefore = i * 8;
    let b = ip.byteAt(i);
    if (bitsBefore >= prefixLength) b = 0;
    else if (prefixLength - bitsBefore < 8) b &= (0xff << (8 - (prefixLength - bitsBefore))) & 0xff;
    unchecked((bytes[i] = <u8>b));
  }
  return new Cidr(new IpAddress(ip.isV6, bytes), prefixLength);
}

/**
 * Parses `ip/len` or a bare IP (= /32 or /128), as Istio's ipBlocks accept them. Host bits past the prefix
 * are cleared, as Envoy does (`10.1.2.3/8` is `10.0.0.0/8`). Returns null for anything malformed.
 */
export function parseCidr(s: string): Cidr | null {
  if (s.length > 64) return null;
  const slash = s.indexOf("/");
  if (slash < 0) {
    const ip = parseIp(s);
    return ip === null ? null : new Cidr(ip, ip.bitLength);
  }
  const ip = parseIp(s.substring(0, slash));
  if (ip === null) return null;
  const lengthText = s.substring(slash + 1);
  if (lengthText.length > 3 || (lengthText.length > 1 && lengthText.charCodeAt(0) == 0x30)) return null;
  const length = parseDecimal(lengthText, 128);
  if (length < 0) return null;
  return cidrOf(ip, <i32>length);
}

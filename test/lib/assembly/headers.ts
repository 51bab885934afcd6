// Test entry for lib/baggage.ts, lib/forwarded.ts, lib/percent.ts, lib/utf8.ts and lib/strings.ts.
import "../../../sdk/runtime/abort";
import { parseBaggage, parsePeerMetadata, encodePeerMetadata, PeerMetadata, encodeBaggageValue } from "../../../lib/baggage";
import { parseForwarded, parseForwardedNode, buildForwarded, forwardedHost, forwardedValue, parseXForwardedFor, appendXForwardedFor, xffEntryAddress } from "../../../lib/forwarded";
import { parseSocketAddress, parseIp } from "../../../lib/address";
import { percentDecode, percentEncode } from "../../../lib/percent";
import { decodeUtf8Strict } from "../../../lib/utf8";
import { asciiLower, asciiEqualsIgnoreCase, trimOws, StringBuilder, splitBounded, isToken, isTokenChar } from "../../../lib/strings";

/** Members as "key=value" joined by "\n", then "|skipped=N"; "!null" when rejected. */
export function baggage(header: string): string {
  const b = parseBaggage(header);
  if (b === null) return "!null";
  const parts = new Array<string>();
  for (let i = 0; i < b.members.length; i++) parts.push(b.members[i].key + "=" + b.members[i].value);
  return parts.join("\n") + "|skipped=" + b.skipped.toString();
}

export function baggageGet(header: string, key: string): string {
  const b = parseBaggage(header);
  if (b === null) return "!null";
  const v = b.get(key);
  return v === null ? "!absent" : v;
}

export function baggageReencode(header: string): string {
  const b = parseBaggage(header);
  return b === null ? "!null" : b.toString();
}

function describePeer(m: PeerMetadata): string {
  return [m.clusterName, m.namespace, m.workloadName, m.workloadKind, m.serviceName, m.serviceVersion, m.appName, m.appVersion,
    m.instanceName, m.region, m.zone].join("|");
}

/** cluster|namespace|workload|kind|service|version|app|appVersion|instance|region|zone */
export function peer(header: string): string {
  const m = parsePeerMetadata(header);
  return m === null ? "!null" : describePeer(m);
}

/** Encodes a peer from "cluster|namespace|workload|kind|service|version|region|zone". */
export function encodePeer(fields: string): string {
  const f = fields.split("|");
  if (f.length != 8) return "!bad";
  const m = new PeerMetadata();
  m.clusterName = f[0]; m.namespace = f[1]; m.workloadName = f[2]; m.workloadKind = f[3];
  m.serviceName = f[4]; m.serviceVersion = f[5]; m.region = f[6]; m.zone = f[7];
  return encodePeerMetadata(m);
}

export function encodeValue(v: string): string {
  return encodeBaggageValue(v);
}

/** Elements as "name=value;name=value" joined by "\n"; "!null" when rejected. */
export function forwarded(header: string): string {
  const elements = parseForwarded(header);
  if (elements === null) return "!null";
  const out = new Array<string>();
  for (let i = 0; i < elements.length; i++) {
    const pairs = new Array<string>();
    for (let k = 0; k < elements[i].pairs.length; k++) pairs.push(elements[i].pairs[k].name + "=" + elements[i].pairs[k].value);
    out.push(pairs.join(";"));
  }
  return out.join("\n");
}

export function fwdHost(header: string): string {
  const h = forwardedHost(header);
  return h === null ? "!null" : h;
}

export function fwdNode(value: string): string {
  const n = parseForwardedNode(value);
  if (n === null) return "!null";
  const ip = n.ip;
  return (ip === null ? "-" : ip.toString()) + "|" + n.port.toString() + "|" + n.name;
}

export function buildFwd(source: string, host: string): string {
  const s = parseSocketAddress(source);
  return s === null ? "!null" : buildForwarded(s, host);
}

export function fwdValue(v: string): string {
  return forwardedValue(v);
}

export function xff(header: string): string {
  const entries = parseXForwardedFor(header);
  if (entries === null) return "!null";
  const out = new Array<string>();
  for (let i = 0; i < entries.length; i++) {
    const ip = xffEntryAddress(entries[i]);
    out.push(entries[i] + "=" + (ip === null ? "-" : ip.toString()));
  }
  return out.join(",");
}

export function appendXff(existing: string, ipText: string): string {
  const ip = parseIp(ipText);
  return ip === null ? "!null" : appendXForwardedFor(existing, ip);
}

export function pdecode(s: string): string {
  const v = percentDecode(s);
  return v === null ? "!null" : v;
}

function keepUnreserved(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e;
}

export function pencode(s: string): string {
  return percentEncode(s, keepUnreserved);
}

export function utf8(buf: ArrayBuffer): string {
  const v = decodeUtf8Strict(Uint8Array.wrap(buf));
  return v === null ? "!null" : v;
}

export function lower(s: string): string {
  return asciiLower(s);
}

export function eqIgnoreCase(a: string, b: string): i32 {
  return asciiEqualsIgnoreCase(a, b) ? 1 : 0;
}

export function trim(s: string): string {
  return trimOws(s);
}

export function token(s: string): i32 {
  return isToken(s) ? 1 : 0;
}

export function tokenChar(c: i32): i32 {
  return isTokenChar(c) ? 1 : 0;
}

export function split(s: string, max: i32): string {
  const parts = splitBounded(s, 0x2c, max);
  return parts === null ? "!null" : parts.join("|") + "#" + parts.length.toString();
}

/** Builds a string from `pieces` copies of `s`, plus code point `cp`, through StringBuilder. */
export function build(s: string, pieces: i32, cp: i32): string {
  const b = new StringBuilder(1);
  for (let i = 0; i < pieces; i++) b.append(s);
  b.appendCodePoint(cp);
  b.appendRange(s, 1, 3);
  b.appendInt(-42);
  return b.toString() + "#" + b.length.toString();
}

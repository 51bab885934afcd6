// Envoy address strings: "ip:port" with IPv6 bracketed (Network::Address::Ipv4/Ipv6Instance::asString), and
// Network::Utility::parseInternetAddressAndPortNoThrow.
import { isIPv4, isIPv6 } from "node:net";

export interface ParsedAddress { ip: string; port: number; text: string }

/** Parse "1.2.3.4:80" or "[::1]:80"; null if not an IP:port. */
export function parseIpPort(s: string): ParsedAddress | null {
  let ip: string, portText: string;
  if (s.startsWith("[")) {
    const end = s.indexOf("]:");
    if (end < 0) return null;
    ip = s.slice(1, end);
    portText = s.slice(end + 2);
    if (!isIPv6(ip)) return null;
  } else {
    const colon = s.lastIndexOf(":");
    if (colon < 0) return null;
    ip = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (!isIPv4(ip)) return null;
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port > 65535) return null;
  return { ip, port, text: isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}` };
}

/** Parse a bare IP ("10.0.0.1", "::1"). */
export function parseIp(s: string): string | null {
  return isIPv4(s) || isIPv6(s) ? s : null;
}

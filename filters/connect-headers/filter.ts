// connect-headers: HTTP filter for CONNECT requests a connection manager forwards upstream (egress through a
// forward proxy, waypoint originate). Sets the CONNECT target (`:authority`) from the configuration, the TLS
// SNI or the client's request, and the HBONE-style headers (baggage, forwarded, x-forwarded-for, traceparent,
// x-envoy-original-dst-host) per configuration, replacing whatever the client sent under those names.
export * from "../../sdk/exports";
import {
  FilterHeadersStatus, HttpContext, LogLevel, RootContext, getCurrentTimeNanoseconds, getPropertyString, log,
  registerRootContext, requestHeaders,
} from "../../sdk";
import { HostPort, isDnsName, parseHostPort } from "../../lib/address";
import {
  BAGGAGE_HEADER, FORWARDED_HEADER, ORIGINAL_DST_HOST_HEADER, TRACEPARENT_HEADER, X_FORWARDED_FOR_HEADER, hboneHeaderValues,
} from "../../lib/hbone-headers";
import { CONNECT_AUTHORITY, UPSTREAM_PEER, UPSTREAM_SERVICE } from "../../lib/filter-state-keys";
import { asciiLower } from "../../lib/strings";
import { TraceparentSource } from "../../lib/traceparent";
import { setWasmFilterState } from "../common/filter-state";
import { SOURCE_ADDRESS, readAddress } from "../common/properties";
import { ConnectHeadersConfig, TargetSource, parseConnectHeadersConfig } from "./config";

const REQUESTED_SERVER_NAME: string[] = ["connection", "requested_server_name"];

class ConnectHeadersRoot extends RootContext {
  config: ConnectHeadersConfig = new ConnectHeadersConfig();
  traceparents: TraceparentSource = new TraceparentSource(0);

  onConfigure(configurationSize: u32): bool {
    const config = parseConnectHeadersConfig(this.getPluginConfiguration());
    if (!config.errors.ok) {
      log.error("connect-headers: invalid plugin configuration: " + config.errors.summary());
      return false;
    }
    this.config = config;
    this.traceparents = new TraceparentSource(getCurrentTimeNanoseconds());
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null {
    return new ConnectHeadersStream(contextId, this);
  }
}

/** Headers only this filter (or Envoy) may set on the forwarded CONNECT; client copies are always removed. */
const CLIENT_HEADERS_REMOVED: Array<string> = [
  "baggage", "forwarded", "x-forwarded-for", "traceparent", "x-envoy-original-dst-host", "x-envoy-peer-metadata",
  "x-envoy-peer-metadata-id",
];

/**
 * Targets a CONNECT must never reach with this proxy's credentials: loopback, unspecified and link-local
 * addresses (the forward proxy's own admin ports, cloud metadata), `localhost` names, and `refusedAddresses`
 * (this node's own addresses) — IPv4-mapped IPv6 judged as the IPv4 address.
 */
function isRefusedTarget(c: ConnectHeadersConfig, target: HostPort): bool {
  const ip = target.ip;
  if (ip === null) {
    const host = asciiLower(target.host);
    return host == "localhost" || host == "localhost." || host.endsWith(".localhost") || host.endsWith(".localhost.");
  }
  const plain = ip.unmapped();
  if (plain.isLoopback() || plain.isUnspecified()) return true;
  if (plain.isV4 && plain.byteAt(0) == 169 && plain.byteAt(1) == 254) return true;
  if (plain.isV6 && plain.byteAt(0) == 0xfe && (plain.byteAt(1) & 0xc0) == 0x80) return true;
  for (let i = 0; i < c.refusedAddresses.length; i++) if (unchecked(c.refusedAddresses[i]).equals(plain)) return true;
  return false;
}

/** The CONNECT target for this request, or null when it cannot be determined. */
function chooseTarget(c: ConnectHeadersConfig, clientAuthority: HostPort | null): HostPort | null {
  if (c.target == TargetSource.Config) return c.fixedTarget;
  if (c.target == TargetSource.Authority) return clientAuthority !== null && clientAuthority.port > 0 ? clientAuthority : null;
  const sni = getPropertyString(REQUESTED_SERVER_NAME);
  if (sni === null || sni.length == 0 || !isDnsName(sni)) return null;
  let port = c.sniPort;
  if (port <= 0) port = clientAuthority !== null && clientAuthority.port > 0 ? clientAuthority.port : 443;
  return new HostPort(asciiLower(sni), null, port);
}

class ConnectHeadersStream extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const root = changetype<ConnectHeadersRoot>(this.root);
    const c = root.config;
    const headers = requestHeaders.snapshot(); // one host call for the reads, one (commit) for the writes
    const method = headers.get(":method");
    if (c.onlyConnect && (method === null || method != "CONNECT")) return FilterHeadersStatus.Continue;

    const authorityText = headers.get(":authority");
    const clientAuthority = authorityText !== null ? parseHostPort(authorityText, false) : null;
    const target = chooseTarget(c, clientAuthority);
    if (target === null) {
      this.sendLocalResponse(400, "connect_headers_no_target", "no CONNECT target\n");
      return FilterHeadersStatus.StopIteration;
    }
    if (isRefusedTarget(c, target)) {
      this.sendLocalResponse(403, "connect_headers_target_refused", "CONNECT target not allowed\n");
      return FilterHeadersStatus.StopIteration;
    }
    const authority = target.toString();
    headers.replace(":authority", authority);
    // Nothing the client sent under these names goes upstream: a disabled option or an unknown source leaves the
    // header absent, never the client's copy.
    for (let i = 0; i < CLIENT_HEADERS_REMOVED.length; i++) headers.remove(unchecked(CLIENT_HEADERS_REMOVED[i]));

    const src = readAddress(SOURCE_ADDRESS);
    const source = src !== null ? c.table.workloadAt(src.ip) : null;
    const now = c.headers.traceparent ? getCurrentTimeNanoseconds() : 0;
    const v = hboneHeaderValues(c.headers, source, src, target.host, target.ip !== null ? authority : "", root.traceparents, now, <u64>this.id);
    if (v.baggage.length > 0) headers.replace(BAGGAGE_HEADER, v.baggage);
    if (v.forwarded.length > 0) headers.replace(FORWARDED_HEADER, v.forwarded);
    if (v.xForwardedFor.length > 0) headers.replace(X_FORWARDED_FOR_HEADER, v.xForwardedFor);
    if (v.traceparent.length > 0) headers.replace(TRACEPARENT_HEADER, v.traceparent);
    if (v.originalDstHost.length > 0) headers.replace(ORIGINAL_DST_HOST_HEADER, v.originalDstHost);
    for (let i = 0; i < c.added.length; i++) {
      const h = unchecked(c.added[i]);
      headers.replace(h.name, h.value);
    }
    headers.commit(requestHeaders);

    // For istio-stats: report the target service, not the forward proxy whose cluster the connection goes to.
    setWasmFilterState(CONNECT_AUTHORITY, authority);
    setWasmFilterState(UPSTREAM_SERVICE, target.host);
    if (target.ip !== null) {
      const w = c.table.workloadAt(target.ip!);
      if (w !== null) setWasmFilterState(UPSTREAM_PEER, w.baggage());
    }
    if (log.enabled(LogLevel.Debug)) log.debug("connect-headers: CONNECT " + authority);
    return FilterHeadersStatus.Continue;
  }
}

registerRootContext("", (id: u32): RootContext => new ConnectHeadersRoot(id));

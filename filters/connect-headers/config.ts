// connect-headers plugin configuration (JSON; README.md documents every field).

import { formatInt } from "../../sdk";
import { ConfigErrors, ConfigReader } from "../../lib/config-reader";
import { HboneHeaderOptions, readHboneHeaderOptions } from "../../lib/hbone-headers";
import { HostPort, IpAddress, parseHostPort, parseIp } from "../../lib/address";
import { asciiLower, isToken } from "../../lib/strings";
import { WorkloadTable, readWorkloadTableField } from "../../lib/workloads";

/** Where the CONNECT target (`:authority`) comes from. */
export enum TargetSource {
  /** Keep the client's :authority (validated). */
  Authority = 0,
  /** The TLS SNI of the downstream connection (`connection.requested_server_name`) and a port. */
  Sni = 1,
  /** A fixed host:port from this configuration. */
  Config = 2,
}

const TARGET_SOURCES: Array<string> = ["authority", "sni", "config"];
const MAX_ADDED_HEADERS: i32 = 32;
const MAX_HEADER_VALUE: i32 = 8192;

/** Headers only Envoy or this filter may set. */
const RESERVED_HEADERS: Array<string> = ["host", "baggage", "forwarded", "x-forwarded-for", "traceparent", "x-envoy-original-dst-host"];

export class AddedHeader {
  constructor(public name: string, public value: string) {}
}

export class ConnectHeadersConfig {
  errors: ConfigErrors = new ConfigErrors();
  table: WorkloadTable = new WorkloadTable();
  target: TargetSource = TargetSource.Authority;
  /** For TargetSource.Config: the fixed target. */
  fixedTarget: HostPort | null = null;
  /** Port for SNI targets; -1 = the client's :authority port, else 443. */
  sniPort: i32 = -1;
  /** Headers to set (`headers`); unlike hbone-outbound, no x-envoy-original-dst-host by default. */
  headers: HboneHeaderOptions = new HboneHeaderOptions(true, true, false, true, false);
  added: Array<AddedHeader> = new Array<AddedHeader>();
  /** Leave requests other than CONNECT untouched. */
  onlyConnect: bool = true;
  /** `refusedAddresses`: node-local addresses a CONNECT may not target (besides loopback/link-local/unspecified). */
  refusedAddresses: Array<IpAddress> = new Array<IpAddress>();
}

function isHeaderValue(s: string): bool {
  if (s.length > MAX_HEADER_VALUE) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || c == 0x7f || c > 0xff) return false;
  }
  return true;
}

/** Parses and validates the configuration; problems (with JSON paths) end up in `errors`. */
export function parseConnectHeadersConfig(text: string): ConnectHeadersConfig {
  const r = ConfigReader.fromText(text);
  const c = new ConnectHeadersConfig();
  c.errors = r.errors;
  c.table = readWorkloadTableField(r, "workloads");

  const target = r.optionalObject("target");
  if (target !== null) {
    c.target = <TargetSource>TARGET_SOURCES.indexOf(target.optionalEnum("from", TARGET_SOURCES, "authority"));
    if (c.target == TargetSource.Config) {
      const host = target.requiredString("host");
      const port = target.optionalPort("port", 443);
      if (host.length > 0) {
        const hp = parseHostPort((host.indexOf(":") >= 0 && host.charCodeAt(0) != 0x5b ? "[" + host + "]" : host) + ":" + formatInt(port));
        if (hp === null) target.fail("host", "must be a DNS name or an IP address: \"" + host + "\"");
        else c.fixedTarget = hp;
      }
    } else {
      if (target.has("host")) target.fail("host", "only allowed when \"from\" is \"config\"");
      target.allow("host");
      c.sniPort = c.target == TargetSource.Sni ? <i32>target.optionalPort("port", -1) : -1;
      if (c.target == TargetSource.Authority && target.has("port")) target.fail("port", "only allowed when \"from\" is \"sni\" or \"config\"");
      target.allow("port");
    }
    target.finish();
  }

  c.headers = readHboneHeaderOptions(r, "headers", c.headers);

  const added = r.optionalObject("add");
  if (added !== null) {
    const names = added.keys();
    if (names.length > MAX_ADDED_HEADERS) added.failHere("at most " + formatInt(MAX_ADDED_HEADERS) + " headers");
    for (let i = 0; i < names.length; i++) {
      const name = unchecked(names[i]);
      const value = added.requiredString(name, true);
      if (!isToken(name) || asciiLower(name) != name) added.fail(name, "header name must be a lower-case token");
      else if (RESERVED_HEADERS.includes(name)) added.fail(name, "set by this filter or Envoy; use \"headers\" instead");
      else if (!isHeaderValue(value)) added.fail(name, "header value has control characters or is longer than 8192");
      else c.added.push(new AddedHeader(name, value));
    }
    added.finish();
  }

  c.onlyConnect = r.optionalBool("onlyConnect", true);
  if (r.has("refusedAddresses")) {
    const addresses = r.optionalArray("refusedAddresses", 64);
    for (let i = 0; i < addresses.length; i++) {
      const ip = parseIp(addresses.string(i));
      if (ip === null) addresses.fail(i, "must be an IP address");
      else c.refusedAddresses.push(ip.unmapped());
    }
  } else {
    r.allow("refusedAddresses");
  }
  r.finish();
  return c;
}

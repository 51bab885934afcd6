// hbone-outbound plugin configuration (JSON; README.md documents every field).

import { IpAddress, parseIp } from "../../lib/address";
import { ConfigErrors, ConfigReader } from "../../lib/config-reader";
import { HboneHeaderOptions, readHboneHeaderOptions } from "../../lib/hbone-headers";
import { parseSpiffeId } from "../../lib/spiffe";
import { DEFAULT_HBONE_PORT, WorkloadTable, readWorkloadTableField } from "../../lib/workloads";

/** What happens to a connection whose source IP is not a workload in the table. */
export enum UnknownSource {
  /** Close it (ztunnel refuses connections from unknown sources). */
  Blackhole = 0,
  /** Send it as plain TCP to the original destination. */
  Passthrough = 1,
  /** Tunnel it anyway, without baggage, under the default HBONE cluster's certificate. */
  Tunnel = 2,
}

const UNKNOWN_SOURCE_NAMES: Array<string> = ["blackhole", "passthrough", "tunnel"];

export class OutboundConfig {
  /** Problems found while parsing, with JSON paths; the configuration is usable only when `errors.ok`. */
  errors: ConfigErrors = new ConfigErrors();
  table: WorkloadTable = new WorkloadTable();
  /** The outbound capture listener's port: connections to it are blackholed. */
  capturePort: i32 = 15001;
  /** Where HBONE-capable pods accept CONNECT. */
  hbonePort: i32 = DEFAULT_HBONE_PORT;
  hboneCluster: string = "hbone_originate";
  passthroughCluster: string = "PassthroughCluster";
  plainCluster: string = "PassthroughCluster";
  blackholeCluster: string = "BlackHoleCluster";
  /** Source SPIFFE identity → HBONE cluster presenting that identity's certificate. */
  hboneClusters: Map<string, string> = new Map<string, string>();
  /** CONNECT headers to publish (`headers`). */
  headers: HboneHeaderOptions = new HboneHeaderOptions();
  verifyPeerIdentity: bool = true;
  unknownSource: UnknownSource = UnknownSource.Blackhole;
  /** Ports this node's proxy listens on: a passthrough or plain route to one of them on a node address loops. */
  nodeListenerPorts: Array<i32> = [];
  /** This node's own addresses (besides loopback and unspecified, which always are). */
  nodeAddresses: Array<IpAddress> = [];

  /** Would dialling ip:port re-enter this proxy (a listener of the node, on an address of the node)? */
  isNodeListener(ip: IpAddress, port: i32): bool {
    if (!this.nodeListenerPorts.includes(port)) return false;
    const plain = ip.unmapped();
    if (plain.isLoopback() || plain.isUnspecified()) return true;
    for (let i = 0; i < this.nodeAddresses.length; i++) if (unchecked(this.nodeAddresses[i]).equals(plain)) return true;
    return false;
  }

  /** The HBONE cluster for connections from `sourceIdentity` ("" = unknown source). */
  hboneClusterFor(sourceIdentity: string): string {
    if (sourceIdentity.length > 0 && this.hboneClusters.has(sourceIdentity)) return this.hboneClusters.get(sourceIdentity);
    return this.hboneCluster;
  }
}

function isClusterName(s: string): bool {
  if (s.length == 0 || s.length > 256) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

function readClusterName(r: ConfigReader, key: string, fallback: string): string {
  const name = r.optionalString(key, fallback, false);
  if (!isClusterName(name)) {
    r.fail(key, "must be a cluster name (1..256 printable characters, no spaces)");
    return fallback;
  }
  return name;
}

/** Parses and validates the configuration; problems (with JSON paths) end up in `errors`. */
export function parseOutboundConfig(text: string): OutboundConfig {
  const r = ConfigReader.fromText(text);
  const c = new OutboundConfig();
  c.errors = r.errors;
  c.table = readWorkloadTableField(r, "workloads");
  c.capturePort = r.optionalPort("capturePort", c.capturePort);
  c.hbonePort = r.optionalPort("hbonePort", c.hbonePort);

  const clusters = r.optionalObject("clusters");
  if (clusters !== null) {
    c.hboneCluster = readClusterName(clusters, "hbone", c.hboneCluster);
    c.passthroughCluster = readClusterName(clusters, "passthrough", c.passthroughCluster);
    c.plainCluster = readClusterName(clusters, "plain", c.passthroughCluster);
    c.blackholeCluster = readClusterName(clusters, "blackhole", c.blackholeCluster);
    clusters.finish();
  }

  const bySource = r.optionalObject("hboneClusters");
  if (bySource !== null) {
    const keys = bySource.keys();
    for (let i = 0; i < keys.length; i++) {
      const identity = unchecked(keys[i]);
      if (parseSpiffeId(identity) === null) {
        bySource.fail(identity, "key must be a SPIFFE id (spiffe://<trust-domain>/ns/<ns>/sa/<sa>)");
        bySource.allow(identity);
        continue;
      }
      c.hboneClusters.set(identity, readClusterName(bySource, identity, c.hboneCluster));
    }
    bySource.finish();
  }

  c.headers = readHboneHeaderOptions(r, "headers", c.headers);

  c.verifyPeerIdentity = r.optionalBool("verifyPeerIdentity", c.verifyPeerIdentity);
  c.unknownSource = <UnknownSource>UNKNOWN_SOURCE_NAMES.indexOf(r.optionalEnum("unknownSource", UNKNOWN_SOURCE_NAMES, "blackhole"));
  c.nodeListenerPorts = [c.capturePort, 15006, c.hbonePort];
  if (r.has("nodeListenerPorts")) {
    const ports = r.optionalArray("nodeListenerPorts", 64);
    for (let i = 0; i < ports.length; i++) {
      const port = <i32>ports.int(i, 1, 65535);
      if (!c.nodeListenerPorts.includes(port)) c.nodeListenerPorts.push(port);
    }
  } else {
    r.allow("nodeListenerPorts");
  }
  if (r.has("nodeAddresses")) {
    const addresses = r.optionalArray("nodeAddresses", 64);
    for (let i = 0; i < addresses.length; i++) {
      const ip = parseIp(addresses.string(i));
      if (ip === null) addresses.fail(i, "must be an IP address");
      else c.nodeAddresses.push(ip.unmapped());
    }
  } else {
    r.allow("nodeAddresses");
  }
  if (c.hbonePort == c.capturePort) r.fail("hbonePort", "must differ from capturePort");
  r.finish();
  return c;
}

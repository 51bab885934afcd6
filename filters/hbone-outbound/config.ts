// hbone-outbound plugin configuration (JSON; README.md documents every field).

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
  if (c.hbonePort == c.capturePort) r.fail("hbonePort", "must differ from capturePort");
  r.finish();
  return c;
}

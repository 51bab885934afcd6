// hbone-inbound plugin configuration (JSON; README.md documents every field).

import { ConfigErrors, ConfigReader } from "../../lib/config-reader";
import { Workload, WorkloadTable, readWorkloadTableField } from "../../lib/workloads";
import { asciiLower, isToken } from "../../lib/strings";

/** Where the ORIGINAL_DST cluster learns the local destination. */
export enum TargetMode {
  /** set_envoy_filter_state envoy.network.transport_socket.original_dst_address (checked first by ORIGINAL_DST). */
  FilterState = 0,
  /** Our own x-envoy-original-dst-host header (cluster needs original_dst_lb_config.use_http_header). */
  Header = 1,
  Both = 2,
}

/** Where source workload labels (wasm.downstream_peer) come from. */
export enum SourceMetadata {
  /** The table entry of the TCP peer IP, else the CONNECT's baggage (ztunnel's order, docs/envoy-facts.md: hbone-inbound). */
  TableThenBaggage = 0,
  Table = 1,
  Baggage = 2,
}

const TARGET_MODES: Array<string> = ["filterState", "header", "both"];
const SOURCE_MODES: Array<string> = ["tableThenBaggage", "table", "baggage"];

export class InboundConfig {
  errors: ConfigErrors = new ConfigErrors();
  table: WorkloadTable = new WorkloadTable();
  /** Only workloads with this `node` are local ("" = every workload in the table). */
  node: string = "";
  target: TargetMode = TargetMode.Both;
  /** The :authority IP must be the address the connection was made to. */
  requireDestinationMatch: bool = true;
  sourceMetadata: SourceMetadata = SourceMetadata.TableThenBaggage;
  /** Client headers removed before any later filter sees them (x-envoy-original-dst-host always is). */
  stripHeaders: Array<string> = ["x-envoy-peer-metadata", "x-envoy-peer-metadata-id"];
  /**
   * Distinct source label sets taken from peers' baggage (peers the table lacks) per VM; past it a new one gets no
   * labels. Bounds the metric series a peer can create by varying its baggage; table entries are not counted.
   */
  maxBaggagePeers: i32 = 64;
  /** Destination ports that would loop back into the proxy (ztunnel's illegal ports) → 503. */
  illegalPorts: Array<i32> = [15001, 15006, 15008];

  isLocal(w: Workload): bool {
    return this.node.length == 0 || w.node == this.node;
  }

  isIllegalPort(port: i32): bool {
    return this.illegalPorts.includes(port);
  }
}

/** Parses and validates the configuration; problems (with JSON paths) end up in `errors`. */
export function parseInboundConfig(text: string): InboundConfig {
  const r = ConfigReader.fromText(text);
  const c = new InboundConfig();
  c.errors = r.errors;
  c.table = readWorkloadTableField(r, "workloads");
  c.node = r.optionalString("node", "", false);
  c.target = <TargetMode>TARGET_MODES.indexOf(r.optionalEnum("target", TARGET_MODES, "both"));
  c.requireDestinationMatch = r.optionalBool("requireDestinationMatch", true);
  c.sourceMetadata = <SourceMetadata>SOURCE_MODES.indexOf(r.optionalEnum("sourceMetadata", SOURCE_MODES, "tableThenBaggage"));
  if (r.has("stripHeaders")) {
    const names = r.optionalArray("stripHeaders", 64);
    c.stripHeaders = new Array<string>();
    for (let i = 0; i < names.length; i++) {
      const name = names.string(i);
      if (name.length == 0) continue;
      if (!isToken(name) || asciiLower(name) != name) names.fail(i, "must be a lower-case header name");
      else c.stripHeaders.push(name);
    }
  } else {
    r.allow("stripHeaders");
  }
  c.maxBaggagePeers = <i32>r.optionalInt("maxBaggagePeers", c.maxBaggagePeers, 0, 100000);
  if (r.has("illegalPorts")) {
    const ports = r.optionalArray("illegalPorts", 64);
    c.illegalPorts = new Array<i32>();
    for (let i = 0; i < ports.length; i++) c.illegalPorts.push(<i32>ports.int(i, 1, 65535));
  } else {
    r.allow("illegalPorts");
  }
  r.finish();
  let local = 0;
  for (let i = 0; i < c.table.workloads.length; i++) if (c.isLocal(unchecked(c.table.workloads[i]))) local++;
  if (c.errors.ok && local == 0) r.fail(c.node.length > 0 ? "node" : "workloads", "no local workload: every CONNECT would be refused");
  return c;
}

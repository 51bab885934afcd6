// The plugin's root context: configuration, the local workload, the peer label cache, the TCP byte flusher and
// the stream contexts of its mode. One class serves the three modes; the root_id picks the mode (filter.ts).

import { PeerMetadata } from "../../lib/baggage";
import { HttpContext, RootContext, TcpContext, getPropertyInt64, log, setEffectiveContext } from "../../sdk";
import { Reporter, StatsConfig, parseStatsConfig } from "./config";
import { HttpStatsContext } from "./http-stream";
import { PeerSource } from "./peer-source";
import { MetricSelection, TcpFlusher } from "./series";
import { TcpStatsContext } from "./tcp-stream";
import { TunnelStatsContext } from "./tunnel-stream";
import { fillPeerMetadata, peerMetadataFromNodeMetadata } from "./peer-metadata";
import { logConfigNotices } from "../common/config-log";
import { Mode } from "./mode";

const LISTENER_DIRECTION: string[] = ["xds", "listener_direction"];
const CONFIG_ERROR = "istio-stats: invalid configuration: ";
const DIRECTION_INBOUND: i64 = 1;
const DIRECTION_OUTBOUND: i64 = 2;

export class StatsRoot extends RootContext {
  // config and metrics are set by onConfigure; streams use them only once `peers` is set too.
  config!: StatsConfig;
  peers: PeerSource | null = null;
  metrics!: MetricSelection;
  flusher: TcpFlusher = new TcpFlusher();
  /** First of the live gRPC streams (HTTP mode), whose message counts the timer reports (linked through the streams). */
  grpcStreams: HttpStatsContext | null = null;

  constructor(id: u32, public readonly mode: Mode) {
    super(id);
  }

  onConfigure(pluginConfigurationSize: u32): bool {
    const config = parseStatsConfig(this.getPluginConfiguration());
    if (!config.errors.ok) {
      log.error(CONFIG_ERROR + config.errors.summary());
      return false;
    }
    logConfigNotices("istio-stats", config.errors);
    let reporter = config.reporter;
    if (!config.reporterGiven) {
      const direction = getPropertyInt64(LISTENER_DIRECTION, 0);
      if (direction == DIRECTION_OUTBOUND) reporter = Reporter.Source;
      else if (direction == DIRECTION_INBOUND) reporter = Reporter.Destination;
      else {
        log.error(CONFIG_ERROR + "$.reporter: required when the listener has no traffic_direction (source, destination or waypoint)");
        return false;
      }
    }
    this.config = config;
    this.metrics = new MetricSelection(config.dropped);
    // A tunnel terminates HBONE for every workload behind this proxy, like ztunnel: the destination is the
    // workload hbone-inbound resolved for the CONNECT, not a fixed local one.
    const destinationFromFilterState = config.destinationFromFilterStateGiven ? config.destinationFromFilterState : this.mode == Mode.Tunnel;
    this.peers = new PeerSource(config, reporter, localWorkload(config.local), destinationFromFilterState);
    // One period for TCP bytes and gRPC message counts, as Istio's tcp_reporting_duration.
    if (config.tcpReportingMs > 0) this.setTickPeriod(config.tcpReportingMs);
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null {
    if (this.mode == Mode.Http) return new HttpStatsContext(contextId, this);
    if (this.mode == Mode.Tunnel) return new TunnelStatsContext(contextId, this);
    return null;
  }

  newTcpContext(contextId: u32): TcpContext | null {
    return this.mode == Mode.Tcp ? new TcpStatsContext(contextId, this) : null;
  }

  onTick(): void {
    this.flusher.flushAll();
    let stream = this.grpcStreams;
    while (stream !== null) {
      setEffectiveContext(stream.id);
      stream.reportMessages();
      stream = stream.nextLive;
    }
  }

  onDone(): bool {
    this.flusher.flushAll();
    return true;
  }
}

/**
 * The configured local workload, completed from node metadata; a missing canonical service falls back to the
 * workload name as in Istio's Wasm plugin (istio/proxy extensions/stats/plugin.cc map_node).
 */
function localWorkload(configured: PeerMetadata): PeerMetadata {
  const w = new PeerMetadata();
  fillPeerMetadata(w, configured);
  fillPeerMetadata(w, peerMetadataFromNodeMetadata());
  if (w.serviceName.length == 0) w.serviceName = w.workloadName;
  return w;
}

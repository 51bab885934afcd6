// The plugin's root context: configuration, the local workload, the peer label cache and the TCP byte flusher.
// One class serves the three modes; the root_id picks the mode (filter.ts).

import { RootContext, getPropertyInt64, log, setEffectiveContext } from "../../sdk";
import { Reporter, StatsConfig, parseStatsConfig } from "./config";
import { HttpStatsContext } from "./http-stream";
import { PeerSource } from "./peer-source";
import { MetricSelection, TcpFlusher } from "./series";
import { Workload, workloadFromNodeMetadata } from "./workload";

export enum Mode {
  /** HTTP filter: istio_requests_total & co. */
  Http = 0,
  /** Network filter: istio_tcp_* for the connection. */
  Tcp = 1,
  /** HTTP filter on the HBONE CONNECT terminate: istio_tcp_* for each CONNECT stream. */
  Tunnel = 2,
}

const LISTENER_DIRECTION: string[] = ["xds", "listener_direction"];
const DIRECTION_INBOUND: i64 = 1;
const DIRECTION_OUTBOUND: i64 = 2;

export class StatsRoot extends RootContext {
  config: StatsConfig = new StatsConfig();
  peers: PeerSource | null = null;
  metrics: MetricSelection = new MetricSelection(new StaticArray<bool>(10));
  flusher: TcpFlusher = new TcpFlusher();
  /** Live gRPC streams (HTTP mode), whose message counts the timer reports. */
  grpcStreams: Set<HttpStatsContext> = new Set<HttpStatsContext>();

  constructor(id: u32, public readonly mode: Mode) {
    super(id);
  }

  onConfigure(pluginConfigurationSize: u32): bool {
    const config = parseStatsConfig(this.getPluginConfiguration());
    if (!config.errors.ok) {
      log.error("istio-stats: invalid configuration: " + config.errors.summary());
      return false;
    }
    let reporter = config.reporter;
    if (!config.reporterGiven) {
      const direction = getPropertyInt64(LISTENER_DIRECTION, 0);
      if (direction == DIRECTION_OUTBOUND) reporter = Reporter.Source;
      else if (direction == DIRECTION_INBOUND) reporter = Reporter.Destination;
      else {
        log.error("istio-stats: invalid configuration: $.reporter: required when the listener has no traffic_direction " +
          "(one of source, destination, waypoint)");
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

  onTick(): void {
    this.flusher.flushAll();
    if (this.grpcStreams.size == 0) return;
    const streams = this.grpcStreams.values();
    for (let i = 0, n = streams.length; i < n; i++) {
      const stream = unchecked(streams[i]);
      setEffectiveContext(stream.id);
      stream.reportMessages();
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
function localWorkload(configured: Workload): Workload {
  const w = new Workload();
  w.fillFrom(configured);
  w.fillFrom(workloadFromNodeMetadata());
  if (w.canonicalService.length == 0) w.canonicalService = w.name;
  return w;
}

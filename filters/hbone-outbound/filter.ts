// hbone-outbound: network filter on the outbound capture listener (15001). Decides per connection where the
// bytes go (route.ts) and hands the decision to Envoy through filter state, all in proxy_on_new_connection,
// before tcp_proxy's own onNewConnection reads it (README "Wiring").
export * from "../../sdk/exports";
import {
  FilterStatus, LogLevel, RootContext, TcpContext, WasmResult, formatInt, getCurrentTimeNanoseconds, log,
  registerRootContext, setEnvoyFilterState,
} from "../../sdk";
import { SocketAddress } from "../../lib/address";
import { hboneHeaderValues } from "../../lib/hbone-headers";
import { TraceparentSource } from "../../lib/traceparent";
import { OutboundConfig, parseOutboundConfig } from "./config";
import { Route, RouteKind, decideRoute, routeKindName } from "./route";
import * as keys from "../../lib/filter-state-keys";
import { setWasmFilterState } from "../common/filter-state";
import { DESTINATION_ADDRESS, SOURCE_ADDRESS, readAddress } from "../common/properties";


class OutboundRoot extends RootContext {
  config: OutboundConfig = new OutboundConfig();
  traceparents: TraceparentSource = new TraceparentSource(0);

  onConfigure(configurationSize: u32): bool {
    const config = parseOutboundConfig(this.getPluginConfiguration());
    if (!config.errors.ok) {
      log.error("hbone-outbound: invalid plugin configuration: " + config.errors.summary());
      return false;
    }
    this.config = config;
    this.traceparents = new TraceparentSource(getCurrentTimeNanoseconds());
    if (log.enabled(LogLevel.Info)) log.info("hbone-outbound: " + formatInt(config.table.size) + " workloads");
    return true;
  }

  newTcpContext(contextId: u32): TcpContext | null {
    return new OutboundConnection(contextId, this);
  }
}

class OutboundConnection extends TcpContext {
  onNewConnection(): FilterStatus {
    const root = changetype<OutboundRoot>(this.root);
    const config = root.config;
    const src = readAddress(SOURCE_ADDRESS);
    const dst = readAddress(DESTINATION_ADDRESS);
    const route = decideRoute(config, src, dst, <u64>this.id);
    if (log.enabled(LogLevel.Debug)) log.debug(describe(route, src, dst));
    if (!this.steer(route) || (route.tunnelled && !this.publishTunnel(root, route, src))) {
      log.error("hbone-outbound: Envoy refused filter state (needs Envoy >= 1.29); closing connection");
      this.closeDownstream();
      return FilterStatus.StopIteration;
    }
    this.publishPeer(route);
    return FilterStatus.Continue;
  }

  /** Cluster, dial address and tunnelling switch for tcp_proxy / ORIGINAL_DST. False when Envoy refused one. */
  private steer(route: Route): bool {
    if (setEnvoyFilterState(keys.TCP_PROXY_CLUSTER, route.cluster) != WasmResult.Ok) return false;
    if (route.target.length > 0 && setEnvoyFilterState(keys.ORIGINAL_DST_ADDRESS, route.target) != WasmResult.Ok) return false;
    if (!route.tunnelled && setEnvoyFilterState(keys.DISABLE_TUNNELING, "true") != WasmResult.Ok) return false;
    return true;
  }

  /** CONNECT :authority, headers and the expected peer identity. */
  private publishTunnel(root: OutboundRoot, route: Route, src: SocketAddress | null): bool {
    const config = root.config;
    if (config.verifyPeerIdentity && route.peerIdentity.length > 0) {
      if (setEnvoyFilterState(keys.UPSTREAM_SUBJECT_ALT_NAMES, route.peerIdentity) != WasmResult.Ok) return false;
    }
    setWasmFilterState(keys.HBONE_AUTHORITY, route.authority);
    const service = route.service;
    const now = config.headers.traceparent ? getCurrentTimeNanoseconds() : 0;
    const v = hboneHeaderValues(config.headers, route.source, src, service !== null ? service.hostname : "", route.authority,
      root.traceparents, now, <u64>this.id);
    // tcp_proxy leaves out a header whose value formats to "" (docs/envoy-facts.md: empty-header-skipped).
    if (v.baggage.length > 0) setWasmFilterState(keys.HBONE_BAGGAGE, v.baggage);
    if (v.forwarded.length > 0) setWasmFilterState(keys.HBONE_FORWARDED, v.forwarded);
    if (v.xForwardedFor.length > 0) setWasmFilterState(keys.HBONE_XFF, v.xForwardedFor);
    if (v.traceparent.length > 0) setWasmFilterState(keys.HBONE_TRACEPARENT, v.traceparent);
    if (v.originalDstHost.length > 0) setWasmFilterState(keys.HBONE_ORIGINAL_DST, v.originalDstHost);
    return true;
  }

  /** What istio-stats reads about both ends (lib/filter-state-keys.ts; istio-stats README "Where peer information comes from"). */
  private publishPeer(route: Route): void {
    setWasmFilterState(keys.HBONE_ROUTE, routeKindName(route.kind));
    const source = route.source;
    if (source !== null) setWasmFilterState(keys.HBONE_SOURCE, (route.tunnelled ? source.identity : "") + "\n" + source.baggage());
    const destination = route.destination;
    if (destination !== null) setWasmFilterState(keys.UPSTREAM_PEER, destination.baggage());
    if (route.tunnelled && route.peerIdentity.length > 0) setWasmFilterState(keys.UPSTREAM_PEER_PRINCIPAL, route.peerIdentity);
    const service = route.service;
    if (service !== null) setWasmFilterState(keys.UPSTREAM_SERVICE, service.hostname);
  }
}

function describe(route: Route, src: SocketAddress | null, dst: SocketAddress | null): string {
  let text = "hbone-outbound: " + (src !== null ? src.toString() : "?") + " -> " + (dst !== null ? dst.toString() : "?") +
    ": " + routeKindName(route.kind) + " (" + route.reason + ") cluster=" + route.cluster;
  if (route.target.length > 0) text += " dial=" + route.target;
  if (route.kind == RouteKind.Hbone || route.kind == RouteKind.Waypoint) text += " authority=" + route.authority;
  return text;
}

registerRootContext("", (id: u32): RootContext => new OutboundRoot(id));

// Where one captured connection goes: the hop rules of ztunnel's outbound path (docs/envoy-facts.md: hbone-outbound-hops).
//
//   destination                              → route     dial                    CONNECT :authority
//   port == capture port                     → blackhole –                       –
//   service VIP:port, service has waypoint   → waypoint  waypoint ip:port        VIP:port as dialled
//   service VIP:port, else a backend pod      → as that pod, with port → targetPort
//   pod IP, pod has waypoint                 → waypoint  waypoint ip:port        pod ip:port as dialled
//   pod IP, pod speaks HBONE                 → hbone     pod ip:15008            pod ip:(target) port
//   pod IP, pod does not speak HBONE         → plain     pod ip:(target) port    – (plain TCP)
//   known VIP, port not exposed              → blackhole –                       –
//   anything else                            → passthrough (original destination, plain TCP)
// A connection from a waypoint itself is never sent back to that waypoint. A passthrough or plain route to a
// listener of this node (`nodeListenerPorts` on loopback, unspecified or `nodeAddresses`) is a blackhole: the
// connection would come straight back into the proxy and loop.

import { IpAddress, SocketAddress, formatSocketAddress } from "../../lib/address";
import { Endpoint, Waypoint, Workload, WorkloadService, pickEndpoint } from "../../lib/workloads";
import { OutboundConfig, UnknownSource } from "./config";

export enum RouteKind {
  Hbone = 0,
  Waypoint = 1,
  Plain = 2,
  Passthrough = 3,
  Blackhole = 4,
}

const ROUTE_NAMES: Array<string> = ["hbone", "waypoint", "plain", "passthrough", "blackhole"];

export function routeKindName(kind: RouteKind): string {
  return unchecked(ROUTE_NAMES[<i32>kind]);
}

export class Route {
  kind: RouteKind = RouteKind.Blackhole;
  cluster: string = "";
  /** `ip:port` the ORIGINAL_DST cluster must dial ("" for blackhole). */
  target: string = "";
  /** CONNECT `:authority` (tunnelled routes only). */
  authority: string = "";
  /** The workload the bytes are for, when known (the pod, not the waypoint). */
  destination: Workload | null = null;
  /** The destination service when the app dialled a service VIP. */
  service: WorkloadService | null = null;
  /** SPIFFE id the tunnel peer must present ("" = trust-domain check only). */
  peerIdentity: string = "";
  /** The source workload, when the source IP is in the table. */
  source: Workload | null = null;
  /** Why: a short phrase for logs. */
  reason: string = "";

  get tunnelled(): bool {
    return this.kind == RouteKind.Hbone || this.kind == RouteKind.Waypoint;
  }
}

function blackhole(c: OutboundConfig, reason: string): Route {
  const r = new Route();
  r.kind = RouteKind.Blackhole;
  r.cluster = c.blackholeCluster;
  r.reason = reason;
  return r;
}

function passthrough(c: OutboundConfig, dst: SocketAddress, reason: string): Route {
  const r = new Route();
  r.kind = RouteKind.Passthrough;
  r.cluster = c.passthroughCluster;
  r.target = dst.toString();
  r.reason = reason;
  return r;
}

function viaWaypoint(c: OutboundConfig, waypoint: Waypoint, dst: SocketAddress, reason: string): Route {
  const r = new Route();
  r.kind = RouteKind.Waypoint;
  r.target = waypoint.hostPort();
  r.authority = dst.toString();
  r.reason = reason;
  let identity = waypoint.identity;
  if (identity.length == 0) {
    const owner = c.table.workloadAt(waypoint.ip);
    if (owner !== null) identity = owner.identity;
  }
  r.peerIdentity = identity;
  return r;
}

function isFrom(src: SocketAddress | null, waypoint: Waypoint): bool {
  return src !== null && src.ip.equals(waypoint.ip);
}

/** The route to workload `w` at `ip`:`port` (port already translated to the pod's target port). */
function toWorkload(c: OutboundConfig, src: SocketAddress | null, dst: SocketAddress, w: Workload, ip: IpAddress, port: i32,
  service: WorkloadService | null): Route {
  const waypoint = w.waypoint;
  if (waypoint !== null && !isFrom(src, waypoint)) {
    const r = viaWaypoint(c, waypoint, dst, "workload waypoint");
    r.destination = w;
    r.service = service;
    return r;
  }
  const r = new Route();
  r.destination = w;
  r.service = service;
  if (!w.hbone) {
    if (c.isNodeListener(ip, port)) return blackhole(c, "destination is a listener of this node");
    r.kind = RouteKind.Plain;
    r.cluster = c.plainCluster;
    r.target = formatSocketAddress(ip, port);
    r.reason = "destination does not speak HBONE";
    return r;
  }
  r.kind = RouteKind.Hbone;
  r.target = formatSocketAddress(ip, c.hbonePort);
  r.authority = formatSocketAddress(ip, port);
  r.peerIdentity = w.identity;
  r.reason = service !== null ? "service backend" : "workload";
  return r;
}

function serviceWaypoint(endpoints: Array<Endpoint>): Waypoint | null {
  for (let i = 0; i < endpoints.length; i++) {
    const w = unchecked(endpoints[i]).service.waypoint;
    if (w !== null) return w;
  }
  return null;
}

function decideDestination(c: OutboundConfig, src: SocketAddress | null, dst: SocketAddress, salt: u64): Route {
  if (dst.port == c.capturePort) return blackhole(c, "destination is the capture port");
  const endpoints = c.table.endpointsForVip(dst.ip, dst.port);
  if (endpoints !== null) {
    const waypoint = serviceWaypoint(endpoints);
    if (waypoint !== null && !isFrom(src, waypoint)) {
      const r = viaWaypoint(c, waypoint, dst, "service waypoint");
      r.service = unchecked(endpoints[0]).service;
      return r;
    }
    const endpoint = pickEndpoint(endpoints, salt);
    if (endpoint === null) return blackhole(c, "service has no endpoints");
    const w = endpoint.workload;
    return toWorkload(c, src, dst, w, w.addressLike(dst.ip), endpoint.targetPort, endpoint.service);
  }
  if (c.table.isVip(dst.ip)) return blackhole(c, "service does not expose this port");
  const w = c.table.workloadAt(dst.ip);
  if (w !== null) return toWorkload(c, src, dst, w, dst.ip.unmapped(), dst.port, null);
  if (c.isNodeListener(dst.ip, dst.port)) return blackhole(c, "destination is a listener of this node");
  return passthrough(c, dst, "destination not in the workload table");
}

/**
 * Decides the route for a connection from `src` to its original destination `dst` (null when Envoy gave no
 * parsable address). `salt` picks among a service's backends (the connection's context id spreads them).
 */
export function decideRoute(c: OutboundConfig, src: SocketAddress | null, dst: SocketAddress | null, salt: u64): Route {
  if (dst === null) return blackhole(c, "no original destination address");
  const source = src !== null ? c.table.workloadAt(src.ip) : null;
  let r = decideDestination(c, src, dst, salt);
  if (r.tunnelled) {
    if (source === null && c.unknownSource == UnknownSource.Blackhole) r = blackhole(c, "source is not a known workload");
    else if (source === null && c.unknownSource == UnknownSource.Passthrough) {
      r = c.isNodeListener(dst.ip, dst.port) ? blackhole(c, "destination is a listener of this node")
        : passthrough(c, dst, "source is not a known workload");
    }
    else r.cluster = c.hboneClusterFor(source !== null ? source.identity : "");
  }
  r.source = source;
  return r;
}

// Which local workload and port a CONNECT on 15008 is for, by ztunnel's inbound rules (docs/envoy-facts.md: hbone-inbound):
// `:authority` is `ip:port` (the IP must be a local workload, and by default the address the connection was
// made to) or `service-hostname:port` (the service port is mapped to the local backend's target port).

import { HostPort, IpAddress, SocketAddress, formatSocketAddress, parseHostPort } from "../../lib/address";
import { Endpoint, Workload, WorkloadService } from "../../lib/workloads";
import { InboundConfig } from "./config";

export class Destination {
  /** HTTP status to answer with instead of forwarding; 0 = accepted. */
  status: u32 = 0;
  /** Envoy response-code details for a refusal. */
  details: string = "";
  workload: Workload | null = null;
  service: WorkloadService | null = null;
  /** `ip:port` of the local app (what ORIGINAL_DST must dial). */
  target: string = "";
}

function refuse(status: u32, details: string): Destination {
  const d = new Destination();
  d.status = status;
  d.details = details;
  return d;
}

function accept(c: InboundConfig, w: Workload, ip: IpAddress, port: i32, service: WorkloadService | null): Destination {
  if (c.isIllegalPort(port)) return refuse(503, "hbone_self_call_port");
  const d = new Destination();
  d.workload = w;
  d.service = service;
  d.target = formatSocketAddress(ip, port);
  return d;
}

function byAddress(c: InboundConfig, authority: HostPort, local: SocketAddress | null): Destination {
  const ip = authority.ip!.unmapped();
  const w = c.table.workloadAt(ip);
  if (w === null || !c.isLocal(w)) return refuse(400, "hbone_authority_not_local");
  if (c.requireDestinationMatch && (local === null || !local.ip.unmapped().equals(ip))) {
    return refuse(400, "hbone_authority_ip_mismatch");
  }
  return accept(c, w, ip, authority.port, null);
}

function byHostname(c: InboundConfig, authority: HostPort, local: SocketAddress | null): Destination {
  const endpoints = c.table.endpointsForHostname(authority.host, authority.port);
  if (endpoints === null) return refuse(503, "hbone_unknown_service");
  // The workload at the connection's own address if it backs the service, else the first local backend.
  const here = local !== null ? c.table.workloadAt(local.ip) : null;
  let chosen: Endpoint | null = null;
  for (let i = 0; i < endpoints.length; i++) {
    const e = unchecked(endpoints[i]);
    if (!c.isLocal(e.workload)) continue;
    if (e.workload === here) {
      chosen = e;
      break;
    }
    if (chosen === null) chosen = e;
  }
  if (chosen === null) return refuse(503, "hbone_unknown_service");
  const w = chosen.workload;
  let ip = unchecked(w.addresses[0]);
  if (local !== null) ip = w === here ? local.ip.unmapped() : w.addressLike(local.ip);
  return accept(c, w, ip, chosen.targetPort, chosen.service);
}

/** Resolves `:authority` for a CONNECT that arrived on the connection to `local` (null when unknown). */
export function resolveDestination(c: InboundConfig, authorityText: string | null, local: SocketAddress | null): Destination {
  if (authorityText === null) return refuse(400, "hbone_bad_authority");
  const authority = parseHostPort(authorityText, true);
  if (authority === null || authority.port <= 0) return refuse(400, "hbone_bad_authority");
  return authority.ip !== null ? byAddress(c, authority, local) : byHostname(c, authority, local);
}

// Test entry for lib/workloads.ts: parse a `{"workloads": [...]}` document and query it.
import "../../../sdk/runtime/abort";
import { ConfigReader } from "../../../lib/config-reader";
import { parseIp } from "../../../lib/address";
import { WorkloadTable, pickEndpoint, readWorkloadTableField } from "../../../lib/workloads";

function load(json: string): WorkloadTable | null {
  const r = ConfigReader.fromText(json);
  const table = readWorkloadTableField(r, "workloads");
  r.finish();
  return r.errors.ok ? table : null;
}

/** "ok <n>" or the errors summary. */
export function check(json: string): string {
  const r = ConfigReader.fromText(json);
  const table = readWorkloadTableField(r, "workloads");
  r.finish();
  return r.errors.ok ? "ok " + table.size.toString() : r.errors.summary();
}

/** "<ns>/<name> <identity> <baggage>" of the workload at `ip`, or "none". */
export function at(json: string, ip: string): string {
  const table = load(json);
  const addr = parseIp(ip);
  if (table === null || addr === null) return "bad input";
  const w = table.workloadAt(addr);
  if (w === null) return "none";
  const waypoint = w.waypoint;
  return w.namespace + "/" + w.name + " " + w.identity + " " + w.baggage() + (waypoint !== null ? " via " + waypoint.hostPort() : "") +
    (w.hbone ? "" : " tcp");
}

/** Backends of VIP:port as "ns/name@targetPort service" joined by ", ", or "none". */
export function vip(json: string, ip: string, port: i32): string {
  const table = load(json);
  const addr = parseIp(ip);
  if (table === null || addr === null) return "bad input";
  const endpoints = table.endpointsForVip(addr, port);
  if (endpoints === null) return table.isVip(addr) ? "vip without port" : "none";
  const parts = new Array<string>();
  for (let i = 0; i < endpoints.length; i++) {
    const e = endpoints[i];
    parts.push(e.workload.namespace + "/" + e.workload.name + "@" + e.targetPort.toString() + " " + e.service.hostname);
  }
  return parts.join(", ");
}

/** Backends of hostname:port, or "none". */
export function host(json: string, hostname: string, port: i32): string {
  const table = load(json);
  if (table === null) return "bad input";
  const endpoints = table.endpointsForHostname(hostname, port);
  if (endpoints === null) return "none";
  const parts = new Array<string>();
  for (let i = 0; i < endpoints.length; i++) parts.push(endpoints[i].workload.name + "@" + endpoints[i].targetPort.toString());
  return parts.join(", ");
}

/** The backend picked for `salt`. */
export function pick(json: string, ip: string, port: i32, salt: i32): string {
  const table = load(json);
  const addr = parseIp(ip);
  if (table === null || addr === null) return "bad input";
  const endpoints = table.endpointsForVip(addr, port);
  if (endpoints === null) return "none";
  const e = pickEndpoint(endpoints, <u64>salt);
  return e === null ? "none" : e.workload.name;
}

/** Address of the workload at `ip` in the family of `like`. */
export function addressLike(json: string, ip: string, like: string): string {
  const table = load(json);
  const a = parseIp(ip);
  const l = parseIp(like);
  if (table === null || a === null || l === null) return "bad input";
  const w = table.workloadAt(a);
  return w === null ? "none" : w.addressLike(l).toString();
}

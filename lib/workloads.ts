// The mesh's workload table, as the HBONE filters (and istio-stats) get it in their plugin configuration:
// who lives at which IP, under which SPIFFE identity, behind which service VIPs, whether it speaks HBONE and
// through which waypoint it must be reached (docs/envoy-facts.md: hbone-outbound-hops, baggage-format). One JSON shape, parsed once here.
//
//   { "name": "reviews-v1", "namespace": "default", "kind": "deployment",
//     "addresses": ["10.0.1.5", "fd00::5"], "identity": "spiffe://cluster.local/ns/default/sa/reviews",
//     "canonicalService": "reviews", "canonicalRevision": "v1", "version": "v1", "cluster": "Kubernetes",
//     "hbone": true, "node": "node-a",
//     "waypoint": { "address": "10.0.9.1", "port": 15008, "identity": "spiffe://…/sa/waypoint" },
//     "services": [ { "hostname": "reviews.default.svc.cluster.local", "vips": ["10.96.0.7"],
//                     "ports": [ { "port": 9080, "targetPort": 9080 } ], "waypoint": { … } } ] }

import { formatInt } from "../sdk/format";
import { ConfigArray, ConfigReader } from "./config-reader";
import { IpAddress, formatIp, formatSocketAddress, isDnsName, parseIp } from "./address";
import { parseSpiffeId } from "./spiffe";
import { PeerMetadata, WORKLOAD_KINDS, encodePeerMetadata } from "./baggage";
import { asciiLower } from "./strings";

export const MAX_WORKLOADS: i32 = 10000;
const MAX_ADDRESSES: i32 = 16;
const MAX_SERVICES: i32 = 64;
const MAX_PORTS: i32 = 128;
const MAX_VIPS: i32 = 16;
const MAX_LABEL_LENGTH: i32 = 253;
export const DEFAULT_HBONE_PORT: i32 = 15008;

/** A waypoint a workload or service must be reached through. */
export class Waypoint {
  constructor(
    public ip: IpAddress,
    /** Canonical IP text. */
    public address: string,
    public port: i32,
    /** Expected SPIFFE identity of the waypoint, "" when unknown (then only the trust domain is checked). */
    public identity: string,
  ) {}

  /** `ip:port` with IPv6 bracketed, as ORIGINAL_DST expects it. */
  hostPort(): string {
    return (this.ip.isV6 ? "[" + this.address + "]" : this.address) + ":" + formatInt(this.port);
  }
}

export class ServicePort {
  constructor(public port: i32, public targetPort: i32) {}
}

/** A service one workload backs: the VIPs and ports clients dial, and where each port lands on the pod. */
export class WorkloadService {
  hostname: string = "";
  vips: Array<IpAddress> = new Array<IpAddress>();
  ports: Array<ServicePort> = new Array<ServicePort>();
  waypoint: Waypoint | null = null;

  /** The pod port behind service port `port`, or -1 when the service does not expose it. */
  targetPortFor(port: i32): i32 {
    for (let i = 0; i < this.ports.length; i++) {
      const p = unchecked(this.ports[i]);
      if (p.port == port) return p.targetPort;
    }
    return -1;
  }
}

export class Workload {
  name: string = "";
  namespace: string = "";
  kind: string = "pod";
  addresses: Array<IpAddress> = new Array<IpAddress>();
  identity: string = "";
  canonicalService: string = "";
  canonicalRevision: string = "";
  cluster: string = "";
  hbone: bool = true;
  node: string = "";
  waypoint: Waypoint | null = null;
  services: Array<WorkloadService> = new Array<WorkloadService>();
  private baggageText: string | null = null;

  /** This workload as Istio peer metadata (what baggage carries and istio-stats labels with). */
  peerMetadata(): PeerMetadata {
    const m = new PeerMetadata();
    m.clusterName = this.cluster;
    m.namespace = this.namespace;
    m.workloadName = this.name;
    m.workloadKind = this.kind;
    m.serviceName = this.canonicalService;
    m.serviceVersion = this.canonicalRevision;
    return m;
  }

  /**
   * The `baggage` text ztunnel sends for this workload (docs/envoy-facts.md: baggage-format), computed once:
   * `k8s.cluster.name=…,k8s.namespace.name=…,k8s.<kind>.name=…,service.name=…,service.version=…`.
   * Also the value of filter state `wasm.upstream_peer` / `wasm.downstream_peer` (lib/filter-state-keys.ts).
   */
  baggage(): string {
    let text = this.baggageText;
    if (text === null) {
      text = encodePeerMetadata(this.peerMetadata());
      this.baggageText = text;
    }
    return text;
  }

  /** The address to dial for a destination of `family`'s family (dual-stack pods), else the first one. */
  addressLike(family: IpAddress): IpAddress {
    for (let i = 0; i < this.addresses.length; i++) {
      const a = unchecked(this.addresses[i]);
      if (a.isV6 == family.isV6) return a;
    }
    return unchecked(this.addresses[0]);
  }

  /** Service `hostname`, or null when this workload does not back it. */
  service(hostname: string): WorkloadService | null {
    for (let i = 0; i < this.services.length; i++) {
      const s = unchecked(this.services[i]);
      if (s.hostname == hostname) return s;
    }
    return null;
  }
}

/** One backend of a service VIP:port or hostname:port. */
export class Endpoint {
  constructor(public workload: Workload, public service: WorkloadService, public targetPort: i32) {}
}

/** The parsed table with its lookup indexes. */
export class WorkloadTable {
  workloads: Array<Workload> = new Array<Workload>();
  private byIp: Map<string, Workload> = new Map<string, Workload>();
  private byVip: Map<string, Array<Endpoint>> = new Map<string, Array<Endpoint>>();
  private byHostname: Map<string, Array<Endpoint>> = new Map<string, Array<Endpoint>>();
  /** VIP → its service (a map rather than a set: it shares Map<string, object>'s code with the indexes above). */
  private vips: Map<string, WorkloadService> = new Map<string, WorkloadService>();

  get size(): i32 {
    return this.workloads.length;
  }

  /** The workload owning address `ip`, or null. */
  workloadAt(ip: IpAddress): Workload | null {
    const key = formatIp(ip.unmapped());
    return this.byIp.has(key) ? this.byIp.get(key) : null;
  }

  /** The backends of service VIP `ip` port `port` in table order, or null when it is no known VIP:port. */
  endpointsForVip(ip: IpAddress, port: i32): Array<Endpoint> | null {
    const key = vipKey(formatIp(ip.unmapped()), port);
    return this.byVip.has(key) ? this.byVip.get(key) : null;
  }

  /** True when `ip` is a service VIP on any port. */
  isVip(ip: IpAddress): bool {
    return this.vips.has(formatIp(ip.unmapped()));
  }

  /** The backends of service `hostname` (ASCII case-insensitive, as DNS names are) port `port`, or null. */
  endpointsForHostname(hostname: string, port: i32): Array<Endpoint> | null {
    const key = vipKey(asciiLower(hostname), port);
    return this.byHostname.has(key) ? this.byHostname.get(key) : null;
  }

  /**
   * Adds `w` to the indexes. Returns why it cannot be added (an address already owned by another workload, or a
   * VIP:port that already belongs to a different service), or null.
   */
  add(w: Workload): string | null {
    for (let i = 0; i < w.addresses.length; i++) {
      const key = formatIp(unchecked(w.addresses[i]));
      if (this.byIp.has(key)) {
        const other = this.byIp.get(key);
        return "address " + key + " already belongs to workload " + other.namespace + "/" + other.name;
      }
    }
    for (let s = 0; s < w.services.length; s++) {
      const service = unchecked(w.services[s]);
      for (let v = 0; v < service.vips.length; v++) {
        const vip = unchecked(service.vips[v]);
        for (let p = 0; p < service.ports.length; p++) {
          const port = unchecked(service.ports[p]).port;
          const existing = this.endpointsForVip(vip, port);
          if (existing !== null && unchecked(existing[0]).service.hostname != service.hostname) {
            return "VIP " + formatSocketAddress(vip, port) + " already belongs to service " + unchecked(existing[0]).service.hostname;
          }
        }
      }
    }
    this.workloads.push(w);
    for (let i = 0; i < w.addresses.length; i++) this.byIp.set(formatIp(unchecked(w.addresses[i])), w);
    for (let s = 0; s < w.services.length; s++) {
      const service = unchecked(w.services[s]);
      for (let p = 0; p < service.ports.length; p++) {
        const sp = unchecked(service.ports[p]);
        const endpoint = new Endpoint(w, service, sp.targetPort);
        for (let v = 0; v < service.vips.length; v++) {
          const vip = formatIp(unchecked(service.vips[v]));
          pushEndpoint(this.byVip, vipKey(vip, sp.port), endpoint);
          this.vips.set(vip, service);
        }
        pushEndpoint(this.byHostname, vipKey(service.hostname, sp.port), endpoint);
      }
    }
    return null;
  }
}

function vipKey(host: string, port: i32): string {
  return host + "|" + formatInt(port);
}

function pushEndpoint(map: Map<string, Array<Endpoint>>, key: string, endpoint: Endpoint): void {
  if (map.has(key)) map.get(key).push(endpoint);
  else {
    const list = new Array<Endpoint>();
    list.push(endpoint);
    map.set(key, list);
  }
}

/** Deterministic pick: the same salt always picks the same backend (callers pass e.g. the connection's id). */
export function pickEndpoint(endpoints: Array<Endpoint>, salt: u64): Endpoint | null {
  const n = endpoints.length;
  if (n == 0) return null;
  return unchecked(endpoints[<i32>(salt % <u64>n)]);
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

/**
 * True when `s` can stand as a baggage value or key part as ztunnel emits them (no percent-encoding): printable
 * ASCII without `,` `=` `;` `"` `\` or spaces, 1..253 characters.
 */
export function isBaggageSafe(s: string): bool {
  const n = s.length;
  if (n == 0 || n > MAX_LABEL_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x2c || c == 0x3d || c == 0x3b || c == 0x22 || c == 0x5c) return false;
  }
  return true;
}

function readLabel(r: ConfigReader, key: string, required: bool, fallback: string): string {
  const value = required ? r.requiredString(key) : r.optionalString(key, fallback, false);
  if (value.length > 0 && !isBaggageSafe(value)) {
    r.fail(key, "must be 1.." + formatInt(MAX_LABEL_LENGTH) + " printable characters without spaces, ',', '=', ';', '\"' or '\\'");
    return fallback;
  }
  return value;
}

function readIp(a: ConfigArray, i: i32): IpAddress | null {
  const text = a.string(i);
  if (text.length == 0) return null;
  const ip = parseIp(text);
  if (ip === null) {
    a.fail(i, "not an IP address: \"" + text + "\"");
    return null;
  }
  return ip.unmapped();
}

function readIdentity(r: ConfigReader, key: string, required: bool): string {
  const text = required ? r.requiredString(key) : r.optionalString(key, "", false);
  if (text.length == 0) return "";
  if (parseSpiffeId(text) === null) {
    r.fail(key, "not a SPIFFE id (spiffe://<trust-domain>/<path>): \"" + text + "\"");
    return "";
  }
  return text;
}

/** Reads a waypoint object: `{ "address": ip, "port"?: 15008, "identity"?: spiffe-id }`. */
export function readWaypoint(r: ConfigReader): Waypoint | null {
  const text = r.requiredString("address");
  const port = r.optionalPort("port", DEFAULT_HBONE_PORT);
  const identity = readIdentity(r, "identity", false);
  r.finish();
  if (text.length == 0) return null;
  const ip = parseIp(text);
  if (ip === null) {
    r.fail("address", "not an IP address: \"" + text + "\"");
    return null;
  }
  const canonical = ip.unmapped();
  return new Waypoint(canonical, formatIp(canonical), port, identity);
}

function readService(r: ConfigReader): WorkloadService {
  const s = new WorkloadService();
  const hostname = r.requiredString("hostname");
  if (hostname.length > 0 && !isDnsName(hostname)) r.fail("hostname", "not a DNS name: \"" + hostname + "\"");
  else s.hostname = asciiLower(hostname);
  const vips = r.optionalArray("vips", MAX_VIPS);
  for (let i = 0; i < vips.length; i++) {
    const ip = readIp(vips, i);
    if (ip !== null) s.vips.push(ip);
  }
  const ports = r.requiredArray("ports", 1, MAX_PORTS);
  for (let i = 0; i < ports.length; i++) {
    const p = ports.object(i);
    const port = p.requiredPort("port");
    const target = p.optionalPort("targetPort", port);
    p.finish();
    if (s.targetPortFor(port) >= 0) ports.fail(i, "duplicate service port " + formatInt(port));
    else if (port > 0) s.ports.push(new ServicePort(port, target));
  }
  const waypoint = r.optionalObject("waypoint");
  if (waypoint !== null) s.waypoint = readWaypoint(waypoint);
  r.finish();
  return s;
}

/** Reads one workload object (see the file comment for the shape). */
export function readWorkload(r: ConfigReader): Workload {
  const w = new Workload();
  w.name = readLabel(r, "name", true, "");
  w.namespace = readLabel(r, "namespace", true, "");
  w.kind = r.optionalEnum("kind", WORKLOAD_KINDS, "pod");
  const addresses = r.requiredArray("addresses", 1, MAX_ADDRESSES);
  for (let i = 0; i < addresses.length; i++) {
    const ip = readIp(addresses, i);
    if (ip === null) continue;
    let duplicate = false;
    for (let k = 0; k < w.addresses.length; k++) if (unchecked(w.addresses[k]).equals(ip)) duplicate = true;
    if (duplicate) addresses.fail(i, "duplicate address");
    else w.addresses.push(ip);
  }
  w.identity = readIdentity(r, "identity", true);
  w.canonicalService = readLabel(r, "canonicalService", false, w.name);
  const version = readLabel(r, "version", false, "");
  // Istio's canonical revision falls back to the version label, then to "latest".
  w.canonicalRevision = readLabel(r, "canonicalRevision", false, version.length > 0 ? version : "latest");
  w.cluster = readLabel(r, "cluster", false, "Kubernetes");
  w.hbone = r.optionalBool("hbone", true);
  w.node = r.optionalString("node", "", false);
  const waypoint = r.optionalObject("waypoint");
  if (waypoint !== null) w.waypoint = readWaypoint(waypoint);
  const services = r.optionalArray("services", MAX_SERVICES);
  for (let i = 0; i < services.length; i++) {
    const service = readService(services.object(i));
    if (service.hostname.length > 0 && w.service(service.hostname) !== null) services.fail(i, "duplicate service " + service.hostname);
    else w.services.push(service);
  }
  r.finish();
  return w;
}

/**
 * Reads the `workloads` array of a plugin configuration into a table. Errors (with JSON paths) go to the
 * reader's ConfigErrors: bad fields, an address owned by two workloads, one VIP:port claimed by two services.
 */
export function readWorkloadTable(array: ConfigArray): WorkloadTable {
  const table = new WorkloadTable();
  for (let i = 0; i < array.length; i++) {
    const before = array.errors.count;
    const w = readWorkload(array.object(i));
    if (array.errors.count != before) continue;
    const conflict = table.add(w);
    if (conflict !== null) array.fail(i, conflict);
  }
  return table;
}

/** Reads `key` of `r` as a workload table (absent = empty table). */
export function readWorkloadTableField(r: ConfigReader, key: string): WorkloadTable {
  return readWorkloadTable(r.optionalArray(key, MAX_WORKLOADS));
}

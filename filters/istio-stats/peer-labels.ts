// Label values for one (reporter, local workload, peer) combination, encoded once into the Wasm-era stat-name
// form `name=.=value;.;`, plus the metric series already defined under them.
//
// Value conventions follow Istio's Envoy stats filter (istio/proxy source/extensions/filters/http/istio_stats/
// istio_stats.cc, populatePeerInfo): `unknown` for anything missing, `latest` for a missing canonical revision
// (except the destination side at a waypoint, where Istio uses `unknown`), the peer namespace taken from the
// peer's SPIFFE principal before its metadata, and connection_security_policy `mutual_tls`/`none` only where
// the reporter terminates the downstream connection (source reporters say `unknown`).

import { PeerMetadata } from "../../lib/baggage";
import { Reporter } from "./config";
import {
  DESTINATION_CANONICAL_SERVICE, DESTINATION_SERVICE, FIELD_SEPARATOR, LABEL_NAMES, REPORTER, UNKNOWN, VALUE_SEPARATOR,
  labelOr,
} from "./labels";
import { GrpcSeries, HttpSeries, TcpSeries } from "./series";

export const MUTUAL_TLS = "mutual_tls";
export const NONE = "none";

/** `name=.=value;.;` for label `label` (value already sanitised). */
export function encodeTag(label: i32, value: string): string {
  return unchecked(LABEL_NAMES[label]) + VALUE_SEPARATOR + value + FIELD_SEPARATOR;
}

/** One side of the exchange as the labels see it. */
export class Side {
  constructor(
    public workload: PeerMetadata,
    /** SPIFFE URI (with `spiffe://`), "" when unknown. */
    public principal: string,
    /** True for a peer: its namespace is read from its principal first (istio_stats.cc getNamespace). */
    public isPeer: bool,
    /** Value for a missing canonical revision. */
    public missingRevision: string,
  ) {}

  namespace(): string {
    if (this.isPeer) {
      const fromPrincipal = namespaceOfPrincipal(this.principal);
      if (fromPrincipal.length > 0) return fromPrincipal;
    }
    return this.workload.namespace;
  }
}

/** The `<ns>` of a principal containing `/ns/<ns>/` (istio_stats.cc getNamespace), "" otherwise. */
export function namespaceOfPrincipal(principal: string): string {
  const at = principal.indexOf("/ns/");
  if (at < 0) return "";
  const begin = at + 4;
  const end = principal.indexOf("/", begin);
  return end < 0 ? principal.substring(begin) : principal.substring(begin, end);
}

/** How destination_service, _name and _namespace fall back when no service is configured or seen. */
export class ServiceDefaults {
  /** Configured values (win over everything). */
  host: string = "";
  name: string = "";
  namespace: string = "";
  /** Used for host and name when nothing else is known ("" = unknown). */
  fallbackName: string = "";
  /** Used for the namespace when nothing else is known ("" = unknown). */
  fallbackNamespace: string = "";
  /**
   * PassthroughCluster / BlackHoleCluster: Istio names the cluster in destination_service_name (before the Host
   * header's name), leaving destination_service to the Host header or `unknown` (istio_stats.cc populatePeerInfo).
   */
  clusterName: string = "";
}

const MAX_SERIES_PER_PEER: i32 = 4096;

/**
 * Characters held by one PeerSource's caches (peer keys, label strings, series keys). Keys embed filter-state
 * text and Host headers, whose size the module does not choose, so entry counts alone do not bound memory.
 */
export class CacheBudget {
  chars: i32 = 0;
}

export class PeerLabels {
  /** Labels reporter .. destination_version. */
  head: string;
  /** Labels destination_canonical_service .. destination_cluster. */
  tail: string;
  securityPolicy: string;
  private services: ServiceDefaults;
  private budget: CacheBudget;
  http: Map<string, HttpSeries> = new Map<string, HttpSeries>();
  tcp: Map<string, TcpSeries> = new Map<string, TcpSeries>();
  grpc: Map<string, GrpcSeries> = new Map<string, GrpcSeries>();

  constructor(
    reporter: Reporter, source: Side, destination: Side, securityPolicy: string, services: ServiceDefaults, budget: CacheBudget,
  ) {
    this.securityPolicy = securityPolicy;
    this.services = services;
    this.budget = budget;
    const s = source.workload;
    const d = destination.workload;
    // Values in label order (labels.ts REPORTER .. DESTINATION_VERSION); empty ones become `unknown`.
    this.head = encodeTags(REPORTER, [
      reporterName(reporter), s.workloadName, source.namespace(), source.principal, s.appName, s.appVersion,
      s.serviceName, labelOr(s.serviceVersion, source.missingRevision), s.clusterName,
      d.workloadName, destination.namespace(), destination.principal, d.appName, d.appVersion,
    ]);
    this.tail = encodeTags(DESTINATION_CANONICAL_SERVICE, [
      d.serviceName, labelOr(d.serviceVersion, destination.missingRevision), d.clusterName,
    ]);
  }

  /**
   * Labels destination_service .. destination_service_namespace for a stream that saw service host `host`
   * ("" = none): configured values first, then the host (a Kubernetes `<name>.<ns>.svc.<domain>` host also
   * gives name and namespace), then the reporter's fallbacks, then `unknown`. Built only when a series is
   * defined (the series caches hold the result).
   */
  serviceSegment(host: string): string {
    const c = this.services;
    const effectiveHost = c.host.length > 0 ? c.host : host;
    let name = "";
    let namespace = "";
    if (effectiveHost.length > 0) {
      const parts = kubernetesServiceParts(effectiveHost);
      if (parts !== null) {
        name = unchecked(parts[0]);
        namespace = unchecked(parts[1]);
      } else {
        name = effectiveHost;
      }
    }
    return encodeTags(DESTINATION_SERVICE, [
      firstNonEmpty(effectiveHost, c.fallbackName, ""),
      firstNonEmpty(c.name, c.clusterName.length > 0 ? c.clusterName : name, c.fallbackName),
      firstNonEmpty(c.namespace, namespace, c.fallbackNamespace),
    ]);
  }

  /**
   * Call before caching a series under `key`: drops cached series when a map grows past its bound (the stats
   * stay in Envoy; ids are re-defined on use) and charges the key to the budget.
   */
  trim(key: string): void {
    this.budget.chars += key.length;
    if (this.http.size >= MAX_SERIES_PER_PEER) this.http.clear();
    if (this.tcp.size >= MAX_SERIES_PER_PEER) this.tcp.clear();
    if (this.grpc.size >= MAX_SERIES_PER_PEER) this.grpc.clear();
  }
}

/** `name=.=value;.;` for consecutive labels from `first`, each value sanitised (`unknown` when empty). */
function encodeTags(first: i32, values: StaticArray<string>): string {
  let out = "";
  for (let i = 0, n = values.length; i < n; i++) out += encodeTag(first + i, labelOr(unchecked(values[i]), UNKNOWN));
  return out;
}

export function reporterName(reporter: Reporter): string {
  if (reporter == Reporter.Source) return "source";
  if (reporter == Reporter.Waypoint) return "waypoint";
  return "destination";
}

function firstNonEmpty(a: string, b: string, c: string): string {
  if (a.length > 0) return a;
  if (b.length > 0) return b;
  return c;
}

/** [name, namespace] of `<name>.<namespace>.svc.<domain>` (an optional `:port` ignored), else null. */
export function kubernetesServiceParts(host: string): Array<string> | null {
  let end = host.length;
  const colon = host.lastIndexOf(":");
  if (colon > 0 && host.indexOf("]") < 0) end = colon;
  const first = host.indexOf(".");
  if (first <= 0 || first >= end) return null;
  const second = host.indexOf(".", first + 1);
  if (second <= first + 1 || second >= end) return null;
  if (host.substring(second + 1, min(end, second + 5)) != "svc." && host.substring(second + 1, end) != "svc") return null;
  return [host.substring(0, first), host.substring(first + 1, second)];
}

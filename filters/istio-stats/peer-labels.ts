// Label values for one (reporter, local workload, peer) combination, encoded once into the Wasm-era stat-name
// form `name=.=value;.;`, plus the metric series already defined under them.
//
// Value conventions follow Istio's Envoy stats filter (istio/proxy source/extensions/filters/http/istio_stats/
// istio_stats.cc, populatePeerInfo): `unknown` for anything missing, `latest` for a missing canonical revision
// (except the destination side at a waypoint, where Istio uses `unknown`), the peer namespace taken from the
// peer's SPIFFE principal before its metadata, and connection_security_policy `mutual_tls`/`none` only where
// the reporter terminates the downstream connection (source reporters say `unknown`).

import { Reporter } from "./config";
import { Workload } from "./workload";
import {
  FIELD_SEPARATOR, LABEL_NAMES, LATEST, UNKNOWN, VALUE_SEPARATOR, labelOr,
  REPORTER, SOURCE_WORKLOAD, SOURCE_WORKLOAD_NAMESPACE, SOURCE_PRINCIPAL, SOURCE_APP, SOURCE_VERSION,
  SOURCE_CANONICAL_SERVICE, SOURCE_CANONICAL_REVISION, SOURCE_CLUSTER, DESTINATION_WORKLOAD,
  DESTINATION_WORKLOAD_NAMESPACE, DESTINATION_PRINCIPAL, DESTINATION_APP, DESTINATION_VERSION, DESTINATION_SERVICE,
  DESTINATION_SERVICE_NAME, DESTINATION_SERVICE_NAMESPACE, DESTINATION_CANONICAL_SERVICE,
  DESTINATION_CANONICAL_REVISION, DESTINATION_CLUSTER,
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
    public workload: Workload,
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
}

const MAX_SERIES_PER_PEER: i32 = 4096;

export class PeerLabels {
  /** Labels reporter .. destination_version. */
  head: string;
  /** Labels destination_canonical_service .. destination_cluster. */
  tail: string;
  securityPolicy: string;
  private services: ServiceDefaults;
  private serviceSegments: Map<string, string> = new Map<string, string>();
  http: Map<string, HttpSeries> = new Map<string, HttpSeries>();
  tcp: Map<string, TcpSeries> = new Map<string, TcpSeries>();
  grpc: Map<string, GrpcSeries> = new Map<string, GrpcSeries>();

  constructor(reporter: Reporter, source: Side, destination: Side, securityPolicy: string, services: ServiceDefaults) {
    this.securityPolicy = securityPolicy;
    this.services = services;
    const s = source.workload;
    const d = destination.workload;
    this.head =
      encodeTag(REPORTER, reporterName(reporter)) +
      encodeTag(SOURCE_WORKLOAD, labelOr(s.name, UNKNOWN)) +
      encodeTag(SOURCE_WORKLOAD_NAMESPACE, labelOr(source.namespace(), UNKNOWN)) +
      encodeTag(SOURCE_PRINCIPAL, labelOr(source.principal, UNKNOWN)) +
      encodeTag(SOURCE_APP, labelOr(s.app, UNKNOWN)) +
      encodeTag(SOURCE_VERSION, labelOr(s.version, UNKNOWN)) +
      encodeTag(SOURCE_CANONICAL_SERVICE, labelOr(s.canonicalService, UNKNOWN)) +
      encodeTag(SOURCE_CANONICAL_REVISION, labelOr(s.canonicalRevision, source.missingRevision)) +
      encodeTag(SOURCE_CLUSTER, labelOr(s.cluster, UNKNOWN)) +
      encodeTag(DESTINATION_WORKLOAD, labelOr(d.name, UNKNOWN)) +
      encodeTag(DESTINATION_WORKLOAD_NAMESPACE, labelOr(destination.namespace(), UNKNOWN)) +
      encodeTag(DESTINATION_PRINCIPAL, labelOr(destination.principal, UNKNOWN)) +
      encodeTag(DESTINATION_APP, labelOr(d.app, UNKNOWN)) +
      encodeTag(DESTINATION_VERSION, labelOr(d.version, UNKNOWN));
    this.tail =
      encodeTag(DESTINATION_CANONICAL_SERVICE, labelOr(d.canonicalService, UNKNOWN)) +
      encodeTag(DESTINATION_CANONICAL_REVISION, labelOr(d.canonicalRevision, destination.missingRevision)) +
      encodeTag(DESTINATION_CLUSTER, labelOr(d.cluster, UNKNOWN));
  }

  /**
   * Labels destination_service .. destination_service_namespace for a stream that saw service host `host`
   * ("" = none): configured values first, then the host (a Kubernetes `<name>.<ns>.svc.<domain>` host also
   * gives name and namespace), then the reporter's fallbacks, then `unknown`. Cached per host.
   */
  serviceSegment(host: string): string {
    if (this.serviceSegments.has(host)) return this.serviceSegments.get(host);
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
    const hostValue = firstNonEmpty(effectiveHost, c.fallbackName, "");
    const nameValue = firstNonEmpty(c.name, name, c.fallbackName);
    const namespaceValue = firstNonEmpty(c.namespace, namespace, c.fallbackNamespace);
    const segment =
      encodeTag(DESTINATION_SERVICE, labelOr(hostValue, UNKNOWN)) +
      encodeTag(DESTINATION_SERVICE_NAME, labelOr(nameValue, UNKNOWN)) +
      encodeTag(DESTINATION_SERVICE_NAMESPACE, labelOr(namespaceValue, UNKNOWN));
    if (this.serviceSegments.size >= MAX_SERIES_PER_PEER) this.serviceSegments.clear();
    this.serviceSegments.set(host, segment);
    return segment;
  }

  /** Drops cached series when a map grows past its bound (the stats stay in Envoy; ids are re-defined on use). */
  trim(): void {
    if (this.http.size >= MAX_SERIES_PER_PEER) this.http.clear();
    if (this.tcp.size >= MAX_SERIES_PER_PEER) this.tcp.clear();
    if (this.grpc.size >= MAX_SERIES_PER_PEER) this.grpc.clear();
  }
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

// What the metric labels say about one side of a connection: the local workload (plugin config, then
// Envoy node metadata) or a peer (Istio baggage text published in filter state by the HBONE filters).

import { parsePeerMetadata } from "../../lib/baggage";
import { getPropertyMap, getPropertyString } from "../../sdk";

/** Workload metadata; "" means unknown. */
export class Workload {
  name: string = "";
  namespace: string = "";
  app: string = "";
  version: string = "";
  canonicalService: string = "";
  canonicalRevision: string = "";
  cluster: string = "";

  /** Fills every empty field from `other`. */
  fillFrom(other: Workload): void {
    if (this.name.length == 0) this.name = other.name;
    if (this.namespace.length == 0) this.namespace = other.namespace;
    if (this.app.length == 0) this.app = other.app;
    if (this.version.length == 0) this.version = other.version;
    if (this.canonicalService.length == 0) this.canonicalService = other.canonicalService;
    if (this.canonicalRevision.length == 0) this.canonicalRevision = other.canonicalRevision;
    if (this.cluster.length == 0) this.cluster = other.cluster;
  }
}

/**
 * A peer described by Istio baggage text (`k8s.namespace.name=..,k8s.deployment.name=..,service.name=..`),
 * parsed by lib/baggage: `service.name`/`app.name` and `service.version`/`app.version` stand in for each
 * other as in Istio's proxy (istio/proxy extensions/common/metadata_object.cc convertBaggageToWorkloadMetadata).
 * Text over the W3C limits yields an empty workload.
 */
export function workloadFromBaggage(text: string): Workload {
  const w = new Workload();
  const m = parsePeerMetadata(text);
  if (m === null) return w;
  w.name = m.workloadName;
  w.namespace = m.namespace;
  w.app = m.appName;
  w.version = m.appVersion;
  w.canonicalService = m.serviceName;
  w.canonicalRevision = m.serviceVersion;
  w.cluster = m.clusterName;
  return w;
}

const NODE_WORKLOAD_NAME: string[] = ["xds", "node", "metadata", "WORKLOAD_NAME"];
const NODE_NAMESPACE: string[] = ["xds", "node", "metadata", "NAMESPACE"];
const NODE_CLUSTER_ID: string[] = ["xds", "node", "metadata", "CLUSTER_ID"];
const NODE_LABELS: string[] = ["xds", "node", "metadata", "LABELS"];

const CANONICAL_NAME_LABEL = "service.istio.io/canonical-name";
const CANONICAL_REVISION_LABEL = "service.istio.io/canonical-revision";
const APP_QUALIFIED_LABEL = "app.kubernetes.io/name";
const APP_LABEL = "app";
const VERSION_QUALIFIED_LABEL = "app.kubernetes.io/version";
const VERSION_LABEL = "version";

/**
 * The local workload from Istio-style node metadata (`WORKLOAD_NAME`, `NAMESPACE`, `CLUSTER_ID`, `LABELS`),
 * read from a root context. App/version prefer the `app.kubernetes.io/*` labels over `app`/`version`
 * (istio/proxy metadata_object.cc convertStructToWorkloadMetadata).
 */
export function workloadFromNodeMetadata(): Workload {
  const w = new Workload();
  w.name = stringOr(getPropertyString(NODE_WORKLOAD_NAME));
  w.namespace = stringOr(getPropertyString(NODE_NAMESPACE));
  w.cluster = stringOr(getPropertyString(NODE_CLUSTER_ID));
  const labels = getPropertyMap(NODE_LABELS);
  if (labels !== null) {
    let app = "";
    let appQualified = "";
    let version = "";
    let versionQualified = "";
    for (let i = 0; i < labels.length; i++) {
      const pair = unchecked(labels[i]);
      const key = pair.name;
      if (key == CANONICAL_NAME_LABEL) w.canonicalService = pair.value;
      else if (key == CANONICAL_REVISION_LABEL) w.canonicalRevision = pair.value;
      else if (key == APP_QUALIFIED_LABEL) appQualified = pair.value;
      else if (key == APP_LABEL) app = pair.value;
      else if (key == VERSION_QUALIFIED_LABEL) versionQualified = pair.value;
      else if (key == VERSION_LABEL) version = pair.value;
    }
    w.app = appQualified.length > 0 ? appQualified : app;
    w.version = versionQualified.length > 0 ? versionQualified : version;
  }
  return w;
}

function stringOr(s: string | null): string {
  return s === null ? "" : s!;
}

// What the metric labels say about one side of a connection: the local workload (plugin config, then
// Envoy node metadata) or a peer (Istio baggage text published in filter state by the HBONE filters).

import { PeerMetadata, parsePeerMetadata } from "../../lib/baggage";
import { getPropertyMap, getPropertyString } from "../../sdk";

/** Fills every empty field of `w` from `other`. */
export function fillPeerMetadata(w: PeerMetadata, other: PeerMetadata): void {
  if (w.workloadName.length == 0) w.workloadName = other.workloadName;
  if (w.namespace.length == 0) w.namespace = other.namespace;
  if (w.appName.length == 0) w.appName = other.appName;
  if (w.appVersion.length == 0) w.appVersion = other.appVersion;
  if (w.serviceName.length == 0) w.serviceName = other.serviceName;
  if (w.serviceVersion.length == 0) w.serviceVersion = other.serviceVersion;
  if (w.clusterName.length == 0) w.clusterName = other.clusterName;
}

/**
 * A peer described by Istio baggage text (`k8s.namespace.name=..,k8s.deployment.name=..,service.name=..`),
 * parsed by lib/baggage: `service.name`/`app.name` and `service.version`/`app.version` stand in for each
 * other as in Istio's proxy (istio/proxy extensions/common/metadata_object.cc convertBaggageToWorkloadMetadata).
 * Text over the W3C limits yields an empty workload.
 */
export function peerMetadataFromBaggage(text: string): PeerMetadata {
  const m = parsePeerMetadata(text);
  return m !== null ? m : new PeerMetadata();
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
export function peerMetadataFromNodeMetadata(): PeerMetadata {
  const w = new PeerMetadata();
  w.workloadName = stringOr(getPropertyString(NODE_WORKLOAD_NAME));
  w.namespace = stringOr(getPropertyString(NODE_NAMESPACE));
  w.clusterName = stringOr(getPropertyString(NODE_CLUSTER_ID));
  const labels = getPropertyMap(NODE_LABELS);
  if (labels !== null) {
    let app = "";
    let appQualified = "";
    let version = "";
    let versionQualified = "";
    for (let i = 0; i < labels.length; i++) {
      const pair = unchecked(labels[i]);
      const key = pair.name;
      if (key == CANONICAL_NAME_LABEL) w.serviceName = pair.value;
      else if (key == CANONICAL_REVISION_LABEL) w.serviceVersion = pair.value;
      else if (key == APP_QUALIFIED_LABEL) appQualified = pair.value;
      else if (key == APP_LABEL) app = pair.value;
      else if (key == VERSION_QUALIFIED_LABEL) versionQualified = pair.value;
      else if (key == VERSION_LABEL) version = pair.value;
    }
    w.appName = appQualified.length > 0 ? appQualified : app;
    w.appVersion = versionQualified.length > 0 ? versionQualified : version;
  }
  return w;
}

function stringOr(s: string | null): string {
  return s === null ? "" : s!;
}

// Istio TCP label sets of the two-node ztunnel mesh, shared by the scenario files.
import { ZTUNNEL_MESH as M } from "../../envoy/mesh/ztunnel.ts";
import type { Labels } from "./support.ts";

/** Istio's TCP label set, in the order the shipped stats_tags print it. */
export function tcpLabels(reporter: "source" | "destination", source: "sleep" | "intruder", flags: string, security: string): Labels {
  const src = source === "sleep"
    ? { ns: "client", principal: M.identities.sleep, version: "v1" }
    : { ns: "other", principal: M.identities.intruder, version: "latest" };
  return {
    reporter,
    source_workload: source, source_workload_namespace: src.ns, source_principal: src.principal,
    source_app: source, source_version: src.version, source_cluster: "Kubernetes",
    destination_workload: "httpbin", destination_workload_namespace: "server", destination_principal: M.identities.httpbin,
    destination_app: "httpbin", destination_version: "v1",
    destination_service: "httpbin.server.svc.cluster.local", destination_service_name: "httpbin",
    destination_service_namespace: "server", destination_cluster: "Kubernetes",
    request_protocol: "tcp", response_flags: flags, connection_security_policy: security,
    source_canonical_service: source, destination_canonical_service: "httpbin",
    source_canonical_revision: src.version, destination_canonical_revision: "v1",
  };
}


// Cluster-type rules Envoy's cluster factories enforce when they build the cluster.
import { child, fail, stringField, type SemanticContext } from "./located.ts";
import type { BootstrapModel } from "./model.ts";

const enumName = (v: unknown, names: string[]): string | undefined =>
  typeof v === "string" ? v.toUpperCase() : typeof v === "number" ? names[v] : undefined;
const lbPolicies = ["ROUND_ROBIN", "LEAST_REQUEST", "RING_HASH", "RANDOM", "MAGLEV", "CLUSTER_PROVIDED", "LOAD_BALANCING_POLICY_CONFIG"];
const discoveryTypes = ["STATIC", "STRICT_DNS", "LOGICAL_DNS", "EDS", "ORIGINAL_DST"];

/** source/extensions/clusters/original_dst/original_dst_cluster.cc OriginalDstClusterFactory::createClusterImpl. */
export function checkOriginalDstClusters(model: BootstrapModel, ctx: SemanticContext): void {
  for (const c of model.clusters) {
    const type = child(c.loc, "type");
    if (!type || enumName(type.value, discoveryTypes) !== "ORIGINAL_DST") continue;
    const lb = child(c.loc, "lb_policy");
    const policy = lb ? enumName(lb.value, lbPolicies) : "ROUND_ROBIN";
    if (policy !== "CLUSTER_PROVIDED") {
      fail(ctx, lb ?? type, `cluster: LB policy ${policy} is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'`);
    }
    const assignment = child(c.loc, "load_assignment");
    if (assignment) fail(ctx, assignment, "ORIGINAL_DST clusters must have no load assignment configured", true);
    const lbConfig = child(c.loc, "original_dst_lb_config");
    const header = stringField(lbConfig, "http_header_name");
    if (lbConfig && header && child(lbConfig, "use_http_header")?.value !== true) {
      fail(ctx, child(lbConfig, "http_header_name")!, `ORIGINAL_DST cluster: invalid config http_header_name=${header} and use_http_header is false. Set use_http_header to true if http_header_name is desired.`);
    }
  }
}

// Names one resource uses to reach another: clusters named by tcp_proxy, routes, gRPC services, xDS config sources
// and http_uri (remote Wasm code); internal listeners named by `envoy_internal_address`, plus the bootstrap
// extension internal listeners need.
import { child, fail, items, objects, type Located, type SemanticContext } from "./located.ts";
import { connectionManagers, filtersOf, INTERNAL_LISTENER_EXTENSION_TYPE, TCP_PROXY_TYPE, type BootstrapModel, type FilterEntry } from "./model.ts";
import { didYouMean } from "../suggest.ts";
import { unpackTypedConfig } from "../type-url.ts";

interface ClusterRef {
  loc: Located;
  name: string;
  what: string;
}

function configRoot(f: FilterEntry): Located | undefined {
  return f.configLoc && { ...f.configLoc, value: f.config };
}

function weightedClusterRefs(owner: Located, what: string): ClusterRef[] {
  const weighted = child(owner, "weighted_clusters");
  return items(weighted, "clusters").flatMap((c) => {
    const n = child(c, "name");
    return n && typeof n.value === "string" ? [{ loc: n, name: n.value, what }] : [];
  });
}

function tcpProxyRefs(f: FilterEntry): ClusterRef[] {
  const root = configRoot(f);
  if (!root) return [];
  const refs: ClusterRef[] = [];
  const cluster = child(root, "cluster");
  if (cluster && typeof cluster.value === "string") refs.push({ loc: cluster, name: cluster.value, what: "tcp_proxy" });
  return refs.concat(weightedClusterRefs(root, "tcp_proxy"));
}

function routeRefs(hcm: FilterEntry): ClusterRef[] {
  const root = configRoot(hcm);
  const routeConfig = root && child(root, "route_config");
  if (!routeConfig) return [];
  if (child(routeConfig, "validate_clusters")?.value === false) return [];
  const refs: ClusterRef[] = [];
  for (const vh of items(routeConfig, "virtual_hosts")) {
    for (const route of items(vh, "routes")) {
      const action = child(route, "route");
      if (!action) continue;
      const cluster = child(action, "cluster");
      if (cluster && typeof cluster.value === "string") refs.push({ loc: cluster, name: cluster.value, what: "route" });
      refs.push(...weightedClusterRefs(action, "route"));
      for (const mirror of items(action, "request_mirror_policies")) {
        const c = child(mirror, "cluster");
        if (c && typeof c.value === "string") refs.push({ loc: c, name: c.value, what: "request mirror" });
      }
    }
  }
  return refs;
}

/** `envoy_grpc.cluster_name` anywhere under `root` (access logs, ext_authz, tracing, xDS config sources, ...). */
function grpcRefs(root: Located, what = "gRPC service"): ClusterRef[] {
  const refs: ClusterRef[] = [];
  for (const o of objects(root)) {
    const grpc = child(o, "envoy_grpc");
    const name = grpc && child(grpc, "cluster_name");
    if (name && typeof name.value === "string") refs.push({ loc: name, name: name.value, what });
  }
  return refs;
}

/** `http_uri.cluster` anywhere: remote Wasm code (vm_config.code.remote), remote JWKS, ... */
function httpUriRefs(model: BootstrapModel): ClusterRef[] {
  const refs: ClusterRef[] = [];
  for (const o of objects(model.root)) {
    const uri = child(o, "http_uri");
    const cluster = uri && child(uri, "cluster");
    if (!cluster || typeof cluster.value !== "string") continue;
    const what = /\.code\.remote$/.test(o.path) ? "remote Wasm code (http_uri)" : "http_uri";
    refs.push({ loc: cluster, name: cluster.value, what });
  }
  return refs;
}

function failUndefined(ctx: SemanticContext, ref: ClusterRef, defined: Set<string>, why = ""): void {
  fail(ctx, ref.loc, `${ref.what} names cluster "${ref.name}", which is not defined in static_resources.clusters${why}${didYouMean(ref.name, defined)}`);
}

export function checkClusterReferences(model: BootstrapModel, ctx: SemanticContext): void {
  const defined = new Set(model.clusters.map((c) => c.name).filter((n): n is string => !!n));
  // The xDS servers themselves (ADS, CDS/LDS config sources) must be reachable before any xDS arrives: Envoy
  // requires their clusters to be static, so these are checked even when CDS supplies the others.
  const dynamicResources = child(model.root, "dynamic_resources");
  const xdsRefs = dynamicResources ? grpcRefs(dynamicResources, "xDS config source") : [];
  for (const ref of xdsRefs) {
    if (!defined.has(ref.name)) failUndefined(ctx, ref, defined, " (xDS servers need a static cluster)");
  }
  if (model.dynamicClusters) return; // CDS may supply the other clusters later
  const xdsLocs = new Set(xdsRefs.map((r) => r.loc.path));
  const refs: ClusterRef[] = [];
  for (const l of model.listeners) {
    for (const f of l.networkChains.flatMap(filtersOf)) if (f.typeName === TCP_PROXY_TYPE) refs.push(...tcpProxyRefs(f));
  }
  for (const hcm of connectionManagers(model)) refs.push(...routeRefs(hcm));
  refs.push(...grpcRefs(model.root).filter((r) => !xdsLocs.has(r.loc.path)));
  refs.push(...httpUriRefs(model));
  for (const ref of refs) {
    if (!defined.has(ref.name)) failUndefined(ctx, ref, defined);
  }
}

export function checkInternalListeners(model: BootstrapModel, ctx: SemanticContext): void {
  const byName = new Map(model.listeners.filter((l) => l.name).map((l) => [l.name!, l]));
  for (const cluster of model.clusters) {
    for (const o of objects(cluster.loc)) {
      const internal = child(o, "envoy_internal_address");
      const nameLoc = internal && child(internal, "server_listener_name");
      if (!nameLoc || typeof nameLoc.value !== "string") continue;
      const target = byName.get(nameLoc.value);
      if (!target) {
        const internalNames = model.listeners.filter((l) => l.internal && l.name).map((l) => l.name!);
        fail(ctx, nameLoc, `envoy_internal_address names listener "${nameLoc.value}", which is not defined${didYouMean(nameLoc.value, internalNames)}`);
      } else if (!target.internal) {
        fail(ctx, nameLoc, `envoy_internal_address names listener "${nameLoc.value}", which is not an internal listener (it has no internal_listener)`);
      }
    }
  }
  const internalListeners = model.listeners.filter((l) => l.internal);
  if (internalListeners.length === 0) return;
  const hasExtension = items(model.root, "bootstrap_extensions").some((e) => unpackTypedConfig(child(e, "typed_config")?.value)?.typeName === INTERNAL_LISTENER_EXTENSION_TYPE);
  if (hasExtension) return;
  for (const l of internalListeners) {
    fail(ctx, child(l.loc, "internal_listener")!, `internal listener "${l.name ?? ""}" needs the bootstrap extension envoy.bootstrap.internal_listener (bootstrap_extensions with typed_config ${INTERNAL_LISTENER_EXTENSION_TYPE})`, true);
  }
}


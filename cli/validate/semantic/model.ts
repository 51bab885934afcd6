// The parts of a bootstrap the semantic checks look at: listeners, clusters, and the filters of each chain.
import { unpackTypedConfig, HCM_TYPE } from "../../../emulator/envoy-bootstrap.ts";
export { HCM_TYPE, TCP_PROXY_TYPE, NETWORK_WASM_TYPE, HTTP_WASM_TYPE } from "../../../emulator/envoy-bootstrap.ts";
import { child, items, stringField, type JsonObject, type Located } from "./located.ts";

export interface FilterEntry {
  /** The filter list element (`{name, typed_config}`). */
  loc: Located;
  name: string;
  /** The typed_config, and the message it holds (looking through TypedStruct). */
  typedConfig?: Located;
  typeName?: string;
  config?: JsonObject;
  /** Location of `config` (the Any itself, or the TypedStruct's `value`). */
  configLoc?: Located;
}

export interface ListenerEntry {
  loc: Located;
  name: string | undefined;
  internal: boolean;
  /** Network filter lists: one per filter chain (and the default chain). */
  networkChains: Located[];
}

export interface ClusterEntry {
  loc: Located;
  name: string | undefined;
}

export interface BootstrapModel {
  root: Located;
  listeners: ListenerEntry[];
  clusters: ClusterEntry[];
  /** True when clusters can also come from xDS (CDS), so a missing static name is not an error. */
  dynamicClusters: boolean;
}

export function filterEntry(loc: Located): FilterEntry {
  const entry: FilterEntry = { loc, name: stringField(loc, "name") ?? "" };
  const tc = child(loc, "typed_config");
  if (tc) {
    entry.typedConfig = tc;
    const unpacked = unpackTypedConfig(tc.value);
    if (unpacked) {
      entry.typeName = unpacked.typeName;
      entry.config = unpacked.config;
      entry.configLoc = unpacked.typedStruct ? (child(tc, "value") ?? tc) : tc;
    }
  }
  return entry;
}

export function buildModel(config: JsonObject): BootstrapModel {
  const root: Located = { value: config, path: "", parent: undefined, key: undefined };
  const staticResources = child(root, "static_resources");
  const listeners = items(staticResources, "listeners").map((loc): ListenerEntry => {
    const chains = items(loc, "filter_chains");
    const defaultChain = child(loc, "default_filter_chain");
    if (defaultChain) chains.push(defaultChain);
    return {
      loc,
      name: stringField(loc, "name"),
      internal: child(loc, "internal_listener") !== undefined,
      networkChains: chains.map((c) => child(c, "filters") ?? { value: [], path: c.path + ".filters", parent: c.value, key: "filters" }),
    };
  });
  const clusters = items(staticResources, "clusters").map((loc) => ({ loc, name: stringField(loc, "name") }));
  return { root, listeners, clusters, dynamicClusters: child(root, "dynamic_resources") !== undefined && child(child(root, "dynamic_resources")!, "cds_config") !== undefined };
}

/** Network filters of a filter list. */
export function filtersOf(list: Located): FilterEntry[] {
  return items(list).map(filterEntry);
}

export const ROUTER_TYPE = "envoy.extensions.filters.http.router.v3.Router";
export const UPSTREAM_CODEC_TYPE = "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec";
export const INTERNAL_LISTENER_EXTENSION_TYPE = "envoy.extensions.bootstrap.internal_listener.v3.InternalListener";

/** Every HTTP connection manager in the listeners, with the location of its config. */
export function connectionManagers(model: BootstrapModel): FilterEntry[] {
  return model.listeners.flatMap((l) => l.networkChains.flatMap(filtersOf)).filter((f) => f.typeName === HCM_TYPE);
}

/** The HTTP filter list of an HCM. */
export function httpFilterList(hcm: FilterEntry): Located | undefined {
  return hcm.configLoc && child({ ...hcm.configLoc, value: hcm.config }, "http_filters");
}

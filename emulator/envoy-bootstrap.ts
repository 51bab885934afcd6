// Envoy bootstrap (plain JSON, as YAML/JSON parsing gives it) → the emulator's Host and plugin options: the one
// place that knows how Envoy turns a bootstrap into what a Wasm plugin sees. `ambient-wasm validate`, `run` and
// `demo` all go through it.
// - plugin and VM configuration bytes: MessageUtil::anyToBytes — StringValue → its string, BytesValue → its
//   bytes, any other Any → `Any.value`, the serialized message (envoyproxy/envoy:source/common/protobuf/utility.h;
//   used by envoyproxy/envoy:source/extensions/common/wasm/plugin.h and wasm.cc). So a Struct configuration
//   reaches the plugin as protobuf bytes, not JSON text;
// - PluginConfig: name, root_id, vm_config (vm_id, runtime, code, configuration, allow_precompiled,
//   nack_on_code_cache_miss, environment_variables), failure_policy or the legacy fail_open — never both
//   (envoyproxy/envoy:source/extensions/common/wasm/plugin.h), allow_on_headers_stop_iteration;
// - environment_variables: key_values, plus host_env_keys read from the host's environment; a key in both is a
//   configuration error, and the Null VM refuses key_values (envoyproxy/envoy:source/extensions/common/wasm/plugin.cc);
// - the owning listener's traffic_direction (`xds.listener_direction`), stats_config, node, static clusters.
import type { FailurePolicy, HostOptions, PluginOptions } from "./types.ts";
import type { TagSpecifier } from "./stats/index.ts";
import type { TcpProxyConfig } from "./tcp-proxy.ts";
import { encodeListValue, encodeStruct, encodeValue } from "./protobuf-struct.ts";

type Json = Record<string, unknown>;

export const NETWORK_WASM_TYPE = "envoy.extensions.filters.network.wasm.v3.Wasm";
export const HTTP_WASM_TYPE = "envoy.extensions.filters.http.wasm.v3.Wasm";
export const TCP_PROXY_TYPE = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";
export const HCM_TYPE = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
/** TypedStruct messages: Envoy unpacks their `value` (a Struct) into the message named by `type_url`. */
export const TYPED_STRUCT_TYPES: ReadonlySet<string> = new Set(["xds.type.v3.TypedStruct", "udpa.type.v1.TypedStruct"]);

export type ListenerDirection = "UNSPECIFIED" | "INBOUND" | "OUTBOUND";

/** A bootstrap the emulator cannot take as Envoy would; `path` is the JSON path of the offending value. */
export class EnvoyBootstrapError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
  }
}

/**
 * Serializes an Any whose type the adapter does not know: given the Any in its JSON form (with "@type"), the
 * protobuf bytes of the message it holds (`Any.value`), or undefined when the caller cannot either.
 */
export type AnyEncoder = (any: Json) => Uint8Array | undefined;

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const typeNameOf = (url: string): string => url.slice(url.lastIndexOf("/") + 1);
const join = (path: string, key: string | number): string => (typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key);

export type ConfigurationBytes = { bytes: string | Uint8Array } | { unsupported: string };

/** What the plugin reads as its configuration (or VM configuration) buffer for this Any. */
export function anyToBytes(any: unknown, encode?: AnyEncoder): ConfigurationBytes {
  if (any === undefined || any === null) return { bytes: "" };
  if (!isObject(any) || typeof any["@type"] !== "string") return { unsupported: "an Any without @type" };
  const typeName = typeNameOf(any["@type"]);
  const value = any.value;
  switch (typeName) {
    case "google.protobuf.StringValue":
      return { bytes: typeof value === "string" ? value : "" };
    case "google.protobuf.BytesValue":
      return { bytes: new Uint8Array(Buffer.from(typeof value === "string" ? value : "", "base64")) };
    case "google.protobuf.Struct":
      return { bytes: encodeStruct(isObject(value) ? value : {}) };
    case "google.protobuf.ListValue":
      return { bytes: encodeListValue(Array.isArray(value) ? value : []) };
    case "google.protobuf.Value":
      return { bytes: encodeValue(value) };
  }
  const bytes = encode?.(any);
  return bytes ? { bytes } : { unsupported: typeName };
}

/** `vm_config.code`: where the module comes from. */
export type CodeSource =
  | { kind: "filename"; filename: string }
  | { kind: "inline"; bytes: Uint8Array; label: "<inline_bytes>" | "<inline_string>" }
  | { kind: "remote"; uri: string; sha256: string }
  | { kind: "none" };

export function codeSource(vmConfig: unknown): CodeSource {
  const code = isObject(vmConfig) && isObject(vmConfig.code) ? vmConfig.code : undefined;
  if (!code) return { kind: "none" };
  if (isObject(code.remote)) {
    const http = isObject(code.remote.http_uri) ? code.remote.http_uri : {};
    return { kind: "remote", uri: String(http.uri ?? ""), sha256: String(code.remote.sha256 ?? "") };
  }
  const local = isObject(code.local) ? code.local : undefined;
  if (!local) return { kind: "none" };
  if (typeof local.filename === "string") return { kind: "filename", filename: local.filename };
  if (typeof local.inline_bytes === "string") return { kind: "inline", bytes: new Uint8Array(Buffer.from(local.inline_bytes, "base64")), label: "<inline_bytes>" };
  if (typeof local.inline_string === "string") return { kind: "inline", bytes: new Uint8Array(Buffer.from(local.inline_string, "utf8")), label: "<inline_string>" };
  return { kind: "none" };
}

/** A PluginConfig turned into emulator options; `module` is left to the caller (see `code`). */
export interface WasmPluginSettings {
  options: Omit<PluginOptions, "module">;
  code: CodeSource;
  /** `vm_config.runtime`, e.g. envoy.wasm.runtime.v8 (the emulator runs every module the same way). */
  runtime: string;
  allowPrecompiled: boolean;
  nackOnCodeCacheMiss: boolean;
  /** Set when a configuration Any has a type the adapter cannot serialize: `{ path, typeName }`. */
  unsupported?: { path: string; typeName: string };
}

const FAILURE_POLICIES = new Set(["FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"]);

function failurePolicy(config: Json, path: string): FailurePolicy | undefined {
  const policy = typeof config.failure_policy === "string" ? config.failure_policy.toUpperCase() : "UNSPECIFIED";
  if (config.fail_open === true && policy !== "UNSPECIFIED") throw new EnvoyBootstrapError(path, "only one of fail_open or failure_policy can be set");
  if (config.fail_open === true) return undefined; // the legacy bool: `failOpen` (emulator/types.ts PluginOptions)
  return FAILURE_POLICIES.has(policy) ? (policy as FailurePolicy) : undefined;
}

/** PluginConfig `reload_config.backoff.base_interval` ("1.5s") in ms, when set. */
function reloadBackoffMs(config: Json): number | undefined {
  const reload = isObject(config.reload_config) ? config.reload_config : {};
  const backoff = isObject(reload.backoff) ? reload.backoff : {};
  const m = typeof backoff.base_interval === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(backoff.base_interval) : null;
  return m ? Number(m[1]) * 1000 : undefined;
}

function environment(vmConfig: Json, name: string, path: string, hostEnv: Record<string, string | undefined>): Record<string, string> | undefined {
  const env = vmConfig.environment_variables;
  if (!isObject(env)) return undefined;
  const keyValues = isObject(env.key_values) ? env.key_values : {};
  const hostKeys = Array.isArray(env.host_env_keys) ? env.host_env_keys.map(String) : [];
  if (vmConfig.runtime === "envoy.wasm.runtime.null" && Object.keys(keyValues).length > 0) {
    throw new EnvoyBootstrapError(join(path, "environment_variables.key_values"), "envoy.extensions.wasm.v3.VmConfig.EnvironmentVariables.key_values must not be set for NullVm.");
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(keyValues)) out[k] = String(v);
  for (const key of hostKeys) {
    if (key in out) {
      throw new EnvoyBootstrapError(join(path, "environment_variables.host_env_keys"), `Key ${key} is duplicated in envoy.extensions.wasm.v3.VmConfig.environment_variables for ${name}. All the keys must be unique.`);
    }
    const v = hostEnv[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export interface PluginSettingsOptions {
  /** The owning listener's `traffic_direction`. */
  direction?: ListenerDirection;
  /** Serializer for configuration Any types other than the well-known ones. */
  encodeAny?: AnyEncoder;
  /** The environment `host_env_keys` read from. Default: process.env. */
  hostEnv?: Record<string, string | undefined>;
}

/** `envoy.extensions.wasm.v3.PluginConfig` (JSON) at `path` → emulator plugin options. */
export function wasmPluginSettings(config: unknown, path = "", opts: PluginSettingsOptions = {}): WasmPluginSettings {
  if (!isObject(config)) throw new EnvoyBootstrapError(path, "expected a PluginConfig object");
  const vm = isObject(config.vm_config) ? config.vm_config : {};
  const vmPath = join(path, "vm_config");
  const name = typeof config.name === "string" ? config.name : "";
  const pluginBytes = anyToBytes(config.configuration, opts.encodeAny);
  const vmBytes = anyToBytes(vm.configuration, opts.encodeAny);
  const settings: WasmPluginSettings = {
    options: {
      name,
      rootId: typeof config.root_id === "string" ? config.root_id : "",
      vmId: typeof vm.vm_id === "string" ? vm.vm_id : "",
      configuration: "bytes" in pluginBytes ? pluginBytes.bytes : undefined,
      vmConfig: "bytes" in vmBytes ? vmBytes.bytes : undefined,
      environment: environment(vm, name, vmPath, opts.hostEnv ?? process.env),
      failurePolicy: failurePolicy(config, path),
      ...(config.fail_open === true ? { failOpen: true } : {}),
      reloadBackoffMs: reloadBackoffMs(config),
      allowOnHeadersStopIteration: config.allow_on_headers_stop_iteration === true,
      listenerDirection: opts.direction ?? "UNSPECIFIED",
    },
    code: codeSource(vm),
    runtime: typeof vm.runtime === "string" ? vm.runtime : "",
    allowPrecompiled: vm.allow_precompiled === true,
    nackOnCodeCacheMiss: vm.nack_on_code_cache_miss === true,
  };
  if ("unsupported" in pluginBytes) settings.unsupported = { path: join(path, "configuration"), typeName: pluginBytes.unsupported };
  else if ("unsupported" in vmBytes) settings.unsupported = { path: join(vmPath, "configuration"), typeName: vmBytes.unsupported };
  return settings;
}

/** A listener's `traffic_direction` as `xds.listener_direction` reports it. */
export function listenerDirection(listener: unknown): ListenerDirection {
  const d = isObject(listener) ? String(listener.traffic_direction ?? "UNSPECIFIED").toUpperCase() : "UNSPECIFIED";
  return d === "INBOUND" || d === "OUTBOUND" ? d : "UNSPECIFIED";
}

/** A filter's typed_config, looking through TypedStruct: `{ typeName, config }`, or undefined. */
export function unpackTypedConfig(typedConfig: unknown): { typeName: string; config: Json; typedStruct: boolean } | undefined {
  if (!isObject(typedConfig) || typeof typedConfig["@type"] !== "string") return undefined;
  const name = typeNameOf(typedConfig["@type"]);
  if (!TYPED_STRUCT_TYPES.has(name)) return { typeName: name, config: typedConfig, typedStruct: false };
  const inner = typedConfig.type_url ?? typedConfig.typeUrl;
  if (typeof inner !== "string") return undefined;
  return { typeName: typeNameOf(inner), config: isObject(typedConfig.value) ? typedConfig.value : {}, typedStruct: true };
}

/** One filter of a filter list with its unpacked config. */
export interface BootstrapFilter {
  /** JSON path of the filter entry (`static_resources.listeners[0].filter_chains[0].filters[1]`). */
  path: string;
  /** JSON path of the unpacked config (the Any, or the TypedStruct's `value`). */
  configPath: string;
  name: string;
  typeName: string;
  config: Json;
}

export function filtersOf(list: unknown, path: string): BootstrapFilter[] {
  if (!Array.isArray(list)) return [];
  const out: BootstrapFilter[] = [];
  list.forEach((f, i) => {
    if (!isObject(f)) return;
    const unpacked = unpackTypedConfig(f.typed_config);
    if (!unpacked) return;
    const at = join(path, i);
    const tc = join(at, "typed_config");
    out.push({ path: at, configPath: unpacked.typedStruct ? join(tc, "value") : tc, name: String(f.name ?? ""), typeName: unpacked.typeName, config: unpacked.config });
  });
  return out;
}

/** One filter chain of a static listener. */
export interface BootstrapFilterChain {
  path: string;
  chain: Json;
  filters: BootstrapFilter[];
}

/** One static listener with its filter chains (the default chain last). */
export interface BootstrapListener {
  path: string;
  listener: Json;
  name: string;
  direction: ListenerDirection;
  port: number | undefined;
  chains: BootstrapFilterChain[];
}

export function staticListeners(bootstrap: unknown): BootstrapListener[] {
  const sr = isObject(bootstrap) && isObject(bootstrap.static_resources) ? bootstrap.static_resources : {};
  const listeners = Array.isArray(sr.listeners) ? sr.listeners : [];
  return listeners.flatMap((l, i): BootstrapListener[] => {
    if (!isObject(l)) return [];
    const path = join("static_resources.listeners", i);
    const chains: BootstrapFilterChain[] = [];
    (Array.isArray(l.filter_chains) ? l.filter_chains : []).forEach((c, ci) => {
      if (isObject(c)) chains.push({ path: join(join(path, "filter_chains"), ci), chain: c, filters: filtersOf(c.filters, join(join(join(path, "filter_chains"), ci), "filters")) });
    });
    if (isObject(l.default_filter_chain)) {
      const at = join(path, "default_filter_chain");
      chains.push({ path: at, chain: l.default_filter_chain, filters: filtersOf(l.default_filter_chain.filters, join(at, "filters")) });
    }
    const socket = isObject(l.address) && isObject(l.address.socket_address) ? l.address.socket_address : {};
    return [{ path, listener: l, name: String(l.name ?? ""), direction: listenerDirection(l), port: typeof socket.port_value === "number" ? socket.port_value : undefined, chains }];
  });
}

/** The HTTP filters of an http_connection_manager config. */
export function httpFiltersOf(hcm: BootstrapFilter): BootstrapFilter[] {
  return filtersOf(hcm.config.http_filters, join(hcm.configPath, "http_filters"));
}

/** A Wasm filter found in the bootstrap: network (listener filter chain) or HTTP (inside an HCM). */
export interface BootstrapWasmFilter {
  kind: "network" | "http";
  /** The filter entry. */
  filter: BootstrapFilter;
  /** The PluginConfig (`config` of the Wasm message) and its JSON path. */
  pluginConfig: Json;
  pluginConfigPath: string;
  listener: BootstrapListener;
  chain: BootstrapFilterChain;
}

/** Every Wasm filter of the static listeners, in configuration order. */
export function wasmFilters(bootstrap: unknown): BootstrapWasmFilter[] {
  const out: BootstrapWasmFilter[] = [];
  const add = (kind: "network" | "http", filter: BootstrapFilter, listener: BootstrapListener, chain: BootstrapFilterChain) => {
    out.push({ kind, filter, pluginConfig: isObject(filter.config.config) ? filter.config.config : {}, pluginConfigPath: join(filter.configPath, "config"), listener, chain });
  };
  for (const listener of staticListeners(bootstrap)) {
    for (const chain of listener.chains) {
      for (const f of chain.filters) {
        if (f.typeName === NETWORK_WASM_TYPE) add("network", f, listener, chain);
        if (f.typeName === HCM_TYPE) for (const h of httpFiltersOf(f)) if (h.typeName === HTTP_WASM_TYPE) add("http", h, listener, chain);
      }
    }
  }
  return out;
}

/** The tcp_proxy config of a filter chain, if it has one. */
export function tcpProxyOf(chain: BootstrapFilterChain): TcpProxyConfig | undefined {
  return chain.filters.find((f) => f.typeName === TCP_PROXY_TYPE)?.config as TcpProxyConfig | undefined;
}

/** A static cluster, reduced to what the emulator and the demo look at. */
export interface BootstrapCluster {
  name: string;
  path: string;
  /** Discovery type (`type`, default STATIC). */
  type: string;
  /** `ip:port` of every lb_endpoint. */
  endpoints: string[];
  cluster: Json;
}

export function staticClusters(bootstrap: unknown): BootstrapCluster[] {
  const sr = isObject(bootstrap) && isObject(bootstrap.static_resources) ? bootstrap.static_resources : {};
  const clusters = Array.isArray(sr.clusters) ? sr.clusters : [];
  return clusters.flatMap((c, i): BootstrapCluster[] => {
    if (!isObject(c) || typeof c.name !== "string") return [];
    const la = isObject(c.load_assignment) ? c.load_assignment : {};
    const endpoints = (Array.isArray(la.endpoints) ? la.endpoints : []).flatMap((e) => (isObject(e) && Array.isArray(e.lb_endpoints) ? e.lb_endpoints : []))
      .flatMap((lb) => {
        const sa = isObject(lb) && isObject(lb.endpoint) && isObject(lb.endpoint.address) && isObject(lb.endpoint.address.socket_address) ? lb.endpoint.address.socket_address : undefined;
        return sa ? [`${String(sa.address ?? "")}:${String(sa.port_value ?? "")}`] : [];
      });
    return [{ name: c.name, path: join("static_resources.clusters", i), type: String(c.type ?? "STATIC").toUpperCase(), endpoints, cluster: c }];
  });
}

/** Clusters can also arrive over CDS, so the static list is not the whole set. */
export function hasDynamicClusters(bootstrap: unknown): boolean {
  return isObject(bootstrap) && isObject(bootstrap.dynamic_resources) && bootstrap.dynamic_resources.cds_config !== undefined;
}

/** `stats_config.stats_tags`: {tag_name, regex} or {tag_name, fixed_value}, in order. */
export function statsTags(bootstrap: unknown): TagSpecifier[] {
  const sc = isObject(bootstrap) && isObject(bootstrap.stats_config) ? bootstrap.stats_config : {};
  return (Array.isArray(sc.stats_tags) ? sc.stats_tags : []).filter(isObject).map((t): TagSpecifier =>
    typeof t.regex === "string" ? { tag_name: String(t.tag_name), regex: t.regex }
    : t.fixed_value !== undefined ? { tag_name: String(t.tag_name), fixed_value: String(t.fixed_value) }
    : { tag_name: String(t.tag_name) });
}

/** Host options from a bootstrap: stats_tags, use_all_default_tags, node id/cluster/metadata, static clusters. */
export function hostOptions(bootstrap: unknown): HostOptions {
  const root = isObject(bootstrap) ? bootstrap : {};
  const node = isObject(root.node) ? root.node : {};
  const sc = isObject(root.stats_config) ? root.stats_config : {};
  // use_all_default_tags is a BoolValue that Envoy treats as true when unset.
  const options: HostOptions = { statsTags: statsTags(root), useAllDefaultTags: sc.use_all_default_tags !== false };
  if (typeof node.id === "string") options.nodeId = node.id;
  if (typeof node.cluster === "string") options.nodeCluster = node.cluster;
  if (isObject(node.metadata)) options.nodeMetadata = node.metadata;
  if (!hasDynamicClusters(root)) options.clusters = staticClusters(root).map((c) => c.name);
  return options;
}

// Reads what the demo needs out of the shipped ztunnel bootstrap, so the demo runs exactly the plugin
// configurations Envoy would load: the Wasm filters of the outbound listener and of each HBONE filter chain, the
// tcp_proxy `tunneling_config`, the HBONE clusters' certificates and the `stats_tags`.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { TagSpecifier } from "../../emulator/index.ts";

const NETWORK_WASM = "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm";
const HTTP_WASM = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
const TCP_PROXY = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";
const HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const STRING_VALUE = "type.googleapis.com/google.protobuf.StringValue";

type Json = Record<string, any>;

/** One Wasm filter as Envoy would create it (PluginConfig). */
export interface WasmFilterConfig {
  /** JSON path in the bootstrap, for messages. */
  path: string;
  name: string;
  rootId: string;
  vmId: string;
  /** `vm_config.code.local.filename`, relative to Envoy's working directory (the repository root). */
  module: string;
  /** The plugin configuration (StringValue). */
  configuration: string;
  listenerDirection: "UNSPECIFIED" | "INBOUND" | "OUTBOUND";
}

export interface TunnelingConfig {
  hostname: string;
  headersToAdd: Array<{ key: string; value: string }>;
}

/** A filter chain of the HBONE terminate listener. */
export interface HboneChain {
  name: string;
  /** `filter_chain_match.prefix_ranges` as [address, prefix length]. */
  prefixRanges: Array<[string, number]>;
  /** The certificate file this chain presents. */
  certificateFile: string;
  /** URI-SAN prefixes the chain accepts from clients (`match_typed_subject_alt_names`). */
  peerSanPrefixes: string[];
  /** HTTP Wasm filters in configured order (the router is implicit). */
  httpFilters: WasmFilterConfig[];
}

export interface ZtunnelBootstrap {
  statsTags: TagSpecifier[];
  outbound: { listener: string; filters: WasmFilterConfig[]; tunneling: TunnelingConfig };
  hbone: { listener: string; port: number; chains: HboneChain[] };
  /** cluster name → certificate file it presents (TLS clusters only). */
  clusterCertificates: Map<string, string>;
  /** Static clusters without a single endpoint (tcp_proxy finds no healthy host in them). */
  emptyClusters: Set<string>;
}

export class BootstrapError extends Error {}

function wasmFilter(filter: Json, path: string, direction: WasmFilterConfig["listenerDirection"]): WasmFilterConfig {
  const config = filter.typed_config?.config ?? {};
  const configuration = config.configuration ?? {};
  if (configuration["@type"] !== STRING_VALUE || typeof configuration.value !== "string") {
    throw new BootstrapError(`${path}.typed_config.config.configuration: the demo reads StringValue plugin configurations only`);
  }
  const filename = config.vm_config?.code?.local?.filename;
  if (typeof filename !== "string") throw new BootstrapError(`${path}.typed_config.config.vm_config.code.local.filename: missing`);
  return {
    path,
    name: config.name ?? "",
    rootId: config.root_id ?? "",
    vmId: config.vm_config?.vm_id ?? "",
    module: filename,
    configuration: configuration.value,
    listenerDirection: direction,
  };
}

function direction(listener: Json): WasmFilterConfig["listenerDirection"] {
  const d = String(listener.traffic_direction ?? "UNSPECIFIED").toUpperCase();
  return d === "INBOUND" || d === "OUTBOUND" ? d : "UNSPECIFIED";
}

function listenerOnPort(listeners: Json[], port: number): [Json, number] {
  const i = listeners.findIndex((l) => l.address?.socket_address?.port_value === port);
  if (i < 0) throw new BootstrapError(`static_resources.listeners: no listener on port ${port}`);
  return [listeners[i], i];
}

function tlsCertificateFile(transportSocket: Json | undefined, path: string): string {
  const file = transportSocket?.typed_config?.common_tls_context?.tls_certificates?.[0]?.certificate_chain?.filename;
  if (typeof file !== "string") throw new BootstrapError(`${path}: no tls_certificates[0].certificate_chain.filename`);
  return file;
}

/** Parses the ztunnel bootstrap text (YAML aliases resolved, as Envoy's YAML loader does). */
export function readZtunnelBootstrap(text: string, outboundPort = 15001, hbonePort = 15008): ZtunnelBootstrap {
  const root = parse(text, { maxAliasCount: -1 }) as Json;
  const listeners: Json[] = root?.static_resources?.listeners ?? [];
  const clusters: Json[] = root?.static_resources?.clusters ?? [];

  const [out, oi] = listenerOnPort(listeners, outboundPort);
  const outPath = `static_resources.listeners[${oi}].filter_chains[0].filters`;
  const outFilters: Json[] = out.filter_chains?.[0]?.filters ?? [];
  const tcpProxy = outFilters.find((f) => f.typed_config?.["@type"] === TCP_PROXY);
  const tunneling = tcpProxy?.typed_config?.tunneling_config;
  if (!tunneling || typeof tunneling.hostname !== "string") throw new BootstrapError(`${outPath}: no tcp_proxy with tunneling_config.hostname`);

  const [hbone, hi] = listenerOnPort(listeners, hbonePort);
  const chains: HboneChain[] = (hbone.filter_chains ?? []).map((chain: Json, ci: number) => {
    const chainPath = `static_resources.listeners[${hi}].filter_chains[${ci}]`;
    const hcm = (chain.filters ?? []).find((f: Json) => f.typed_config?.["@type"] === HCM);
    if (!hcm) throw new BootstrapError(`${chainPath}.filters: no http_connection_manager`);
    const httpFilters: Json[] = hcm.typed_config.http_filters ?? [];
    const validation = chain.transport_socket?.typed_config?.common_tls_context?.validation_context ?? {};
    return {
      name: chain.name ?? `chain ${ci}`,
      prefixRanges: (chain.filter_chain_match?.prefix_ranges ?? []).map((r: Json) => [String(r.address_prefix), Number(r.prefix_len ?? 32)]),
      certificateFile: tlsCertificateFile(chain.transport_socket, `${chainPath}.transport_socket`),
      peerSanPrefixes: (validation.match_typed_subject_alt_names ?? [])
        .filter((m: Json) => m.san_type === "URI" && typeof m.matcher?.prefix === "string")
        .map((m: Json) => m.matcher.prefix as string),
      httpFilters: httpFilters
        .map((f, i) => [f, i] as const)
        .filter(([f]) => f.typed_config?.["@type"] === HTTP_WASM)
        .map(([f, i]) => wasmFilter(f, `${chainPath}.filters[0].typed_config.http_filters[${i}]`, direction(hbone))),
    };
  });

  const clusterCertificates = new Map<string, string>();
  const emptyClusters = new Set<string>();
  for (const c of clusters) {
    const file = c.transport_socket?.typed_config?.common_tls_context?.tls_certificates?.[0]?.certificate_chain?.filename;
    if (typeof file === "string") clusterCertificates.set(c.name, file);
    const endpoints = (c.load_assignment?.endpoints ?? []).flatMap((e: Json) => e.lb_endpoints ?? []);
    if (String(c.type ?? "STATIC").toUpperCase() === "STATIC" && endpoints.length === 0) emptyClusters.add(c.name);
  }

  return {
    statsTags: (root.stats_config?.stats_tags ?? []) as TagSpecifier[],
    outbound: {
      listener: out.name,
      filters: outFilters
        .map((f, i) => [f, i] as const)
        .filter(([f]) => f.typed_config?.["@type"] === NETWORK_WASM)
        .map(([f, i]) => wasmFilter(f, `${outPath}[${i}]`, direction(out))),
      tunneling: {
        hostname: tunneling.hostname,
        headersToAdd: (tunneling.headers_to_add ?? []).map((h: Json) => ({ key: String(h.header.key), value: String(h.header.value) })),
      },
    },
    hbone: { listener: hbone.name, port: hbonePort, chains },
    clusterCertificates,
    emptyClusters,
  };
}

export function loadZtunnelBootstrap(file: string): ZtunnelBootstrap {
  return readZtunnelBootstrap(readFileSync(file, "utf8"));
}

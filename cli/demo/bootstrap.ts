// Reads what the demo needs out of the shipped ztunnel bootstrap through the emulator's Envoy-bootstrap adapter
// (emulator/envoy-bootstrap.ts), so the demo runs exactly the plugin configurations Envoy would load: the Wasm
// filters of the outbound listener and of each HBONE filter chain, the outbound tcp_proxy, the HBONE chains'
// TLS settings, the clusters' certificates and the `stats_tags`.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import {
  EnvoyBootstrapError, HCM_TYPE, HTTP_WASM_TYPE, NETWORK_WASM_TYPE, httpFiltersOf, staticClusters, staticListeners, statsTags, tcpProxyOf,
  wasmPluginSettings, type BootstrapFilter, type BootstrapListener, type WasmPluginSettings,
} from "../../emulator/envoy-bootstrap.ts";
import type { TagSpecifier, TcpProxyCluster, TcpProxyConfig } from "../../emulator/index.ts";

type Json = Record<string, any>;

/** One Wasm filter as Envoy would create it (PluginConfig → emulator plugin options). */
export interface WasmFilterConfig {
  /** JSON path of the PluginConfig in the bootstrap, for messages. */
  path: string;
  name: string;
  /** `vm_config.code.local.filename`, relative to Envoy's working directory (the repository root). */
  module: string;
  /** The plugin configuration bytes as Envoy hands them over. */
  configuration: string | Uint8Array;
  settings: WasmPluginSettings;
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
  outbound: { listener: string; filters: WasmFilterConfig[]; tcpProxy: TcpProxyConfig };
  hbone: { listener: string; port: number; chains: HboneChain[] };
  /** cluster name → certificate file it presents (TLS clusters only). */
  clusterCertificates: Map<string, string>;
  /** The static clusters, for tcp_proxy's host pick (emulator/tcp-proxy.ts). */
  clusters: TcpProxyCluster[];
}

export class BootstrapError extends Error {}

function wasmFilter(filter: BootstrapFilter, listener: BootstrapListener): WasmFilterConfig {
  const path = `${filter.configPath}.config`;
  let settings: WasmPluginSettings;
  try {
    settings = wasmPluginSettings(filter.config.config, path, { direction: listener.direction });
  } catch (e) {
    if (e instanceof EnvoyBootstrapError) throw new BootstrapError(e.message);
    throw e;
  }
  if (settings.unsupported) throw new BootstrapError(`${settings.unsupported.path}: the demo cannot serialize a ${settings.unsupported.typeName} configuration`);
  if (settings.code.kind !== "filename") throw new BootstrapError(`${path}.vm_config.code.local.filename: missing`);
  return { path, name: settings.options.name ?? "", module: settings.code.filename, configuration: settings.options.configuration ?? "", settings };
}

function listenerOnPort(listeners: BootstrapListener[], port: number): BootstrapListener {
  const l = listeners.find((x) => x.port === port);
  if (!l) throw new BootstrapError(`static_resources.listeners: no listener on port ${port}`);
  return l;
}

function tlsCertificateFile(transportSocket: Json | undefined, path: string): string {
  const file = transportSocket?.typed_config?.common_tls_context?.tls_certificates?.[0]?.certificate_chain?.filename;
  if (typeof file !== "string") throw new BootstrapError(`${path}: no tls_certificates[0].certificate_chain.filename`);
  return file;
}

/** Parses the ztunnel bootstrap text (YAML aliases resolved, as Envoy's YAML loader does). */
export function readZtunnelBootstrap(text: string, outboundPort = 15001, hbonePort = 15008): ZtunnelBootstrap {
  const root = parse(text, { maxAliasCount: -1 }) as Json;
  const listeners = staticListeners(root);

  const out = listenerOnPort(listeners, outboundPort);
  const outChain = out.chains[0];
  const tcpProxy = outChain ? tcpProxyOf(outChain) : undefined;
  if (!tcpProxy || typeof tcpProxy.tunneling_config?.hostname !== "string") {
    throw new BootstrapError(`${out.path}.filter_chains[0].filters: no tcp_proxy with tunneling_config.hostname`);
  }

  const hbone = listenerOnPort(listeners, hbonePort);
  const chains: HboneChain[] = hbone.chains.map((chain, ci) => {
    const hcm = chain.filters.find((f) => f.typeName === HCM_TYPE);
    if (!hcm) throw new BootstrapError(`${chain.path}.filters: no http_connection_manager`);
    const c = chain.chain as Json;
    const validation = c.transport_socket?.typed_config?.common_tls_context?.validation_context ?? {};
    return {
      name: c.name ?? `chain ${ci}`,
      prefixRanges: (c.filter_chain_match?.prefix_ranges ?? []).map((r: Json) => [String(r.address_prefix), Number(r.prefix_len ?? 32)]),
      certificateFile: tlsCertificateFile(c.transport_socket, `${chain.path}.transport_socket`),
      peerSanPrefixes: (validation.match_typed_subject_alt_names ?? [])
        .filter((m: Json) => m.san_type === "URI" && typeof m.matcher?.prefix === "string")
        .map((m: Json) => m.matcher.prefix as string),
      httpFilters: httpFiltersOf(hcm).filter((f) => f.typeName === HTTP_WASM_TYPE).map((f) => wasmFilter(f, hbone)),
    };
  });

  const clusterCertificates = new Map<string, string>();
  const clusters = staticClusters(root);
  for (const c of clusters) {
    const file = (c.cluster as Json).transport_socket?.typed_config?.common_tls_context?.tls_certificates?.[0]?.certificate_chain?.filename;
    if (typeof file === "string") clusterCertificates.set(c.name, file);
  }

  return {
    statsTags: statsTags(root),
    outbound: {
      listener: out.name,
      filters: outChain.filters.filter((f) => f.typeName === NETWORK_WASM_TYPE).map((f) => wasmFilter(f, out)),
      tcpProxy,
    },
    hbone: { listener: hbone.name, port: hbonePort, chains },
    clusterCertificates,
    clusters: clusters.map(({ name, type, endpoints }) => ({ name, type, endpoints })),
  };
}

export function loadZtunnelBootstrap(file: string): ZtunnelBootstrap {
  return readZtunnelBootstrap(readFileSync(file, "utf8"));
}

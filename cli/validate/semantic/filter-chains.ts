// Filter chain shape: each filter list holds filters of its own kind, and ends with exactly one terminal filter.
// Envoy's message (source/common/config/utility.h validateTerminalFilters): "Error: terminal filter named <name> of
// type <type> must be the last filter in a <kind> filter chain." / "non-terminal filter ... is the last filter".
import { child, fail, items, type SemanticContext } from "./located.ts";
import { connectionManagers, filterEntry, filtersOf, httpFilterList, type BootstrapModel, type FilterEntry } from "./model.ts";

const NETWORK = "envoy.extensions.filters.network.";
const HTTP = "envoy.extensions.filters.http.";
const LISTENER = "envoy.extensions.filters.listener.";
const UDP = "envoy.extensions.filters.udp.";

const terminalNetwork = new Set(["http_connection_manager", "tcp_proxy", "echo", "direct_response", "redis_proxy", "thrift_proxy", "dubbo_proxy", "generic_proxy", "sni_dynamic_forward_proxy_terminal"]);
const nonTerminalNetwork = new Set(["wasm", "rbac", "ext_authz", "local_ratelimit", "ratelimit", "sni_cluster", "connection_limit", "set_filter_state", "network_ext_proc"]);
const nonTerminalHttp = new Set(["wasm", "rbac", "lua", "ext_authz", "ext_proc", "cors", "fault", "buffer", "compressor", "decompressor", "jwt_authn", "header_mutation", "local_ratelimit", "ratelimit", "set_filter_state", "set_metadata", "grpc_stats", "grpc_web", "csrf", "dynamic_forward_proxy", "header_to_metadata", "health_check"]);

/** `envoy.extensions.filters.http.router.v3.Router` → "router" (the extension's package segment). */
function extensionOf(typeName: string, prefix: string): string | undefined {
  return typeName.startsWith(prefix) ? typeName.slice(prefix.length).split(".")[0] : undefined;
}

function kindOf(typeName: string): string | undefined {
  if (typeName.startsWith(NETWORK)) return "network filter";
  if (typeName.startsWith(HTTP)) return "HTTP filter";
  if (typeName.startsWith(LISTENER)) return "listener filter";
  if (typeName.startsWith(UDP)) return "UDP listener filter";
  return undefined;
}

function checkCategory(ctx: SemanticContext, f: FilterEntry, expectedPrefix: string, expected: string): void {
  if (!f.typeName || f.typeName.startsWith(expectedPrefix)) return;
  const actual = kindOf(f.typeName);
  if (actual && actual !== expected) fail(ctx, f.typedConfig!, `${f.typeName} is a ${actual}, but "${f.name}" is in a ${expected} list`);
}

function checkTerminal(ctx: SemanticContext, filters: FilterEntry[], prefix: string, kind: "network" | "http", isTerminal: (ext: string) => boolean | undefined): void {
  filters.forEach((f, i) => {
    const ext = f.typeName && extensionOf(f.typeName, prefix);
    if (!ext) return;
    const last = i === filters.length - 1;
    const terminal = isTerminal(ext);
    if (terminal === true && !last) fail(ctx, f.loc, `Error: terminal filter named ${f.name} of type ${f.typeName} must be the last filter in a ${kind} filter chain.`);
    if (terminal === false && last) fail(ctx, f.loc, `Error: non-terminal filter named ${f.name} of type ${f.typeName} is the last filter in a ${kind} filter chain.`);
  });
}

export function checkFilterChains(model: BootstrapModel, ctx: SemanticContext): void {
  for (const l of model.listeners) {
    for (const f of items(l.loc, "listener_filters").map(filterEntry)) checkCategory(ctx, f, LISTENER, "listener filter");
    for (const list of l.networkChains) {
      const filters = filtersOf(list);
      for (const f of filters) checkCategory(ctx, f, NETWORK, "network filter");
      checkTerminal(ctx, filters, NETWORK, "network", (ext) => (terminalNetwork.has(ext) ? true : nonTerminalNetwork.has(ext) ? false : undefined));
    }
  }
  for (const hcm of connectionManagers(model)) {
    const list = httpFilterList(hcm);
    if (!list) continue;
    const filters = filtersOf(list);
    for (const f of filters) checkCategory(ctx, f, HTTP, "HTTP filter");
    checkTerminal(ctx, filters, HTTP, "http", (ext) => (ext === "router" ? true : nonTerminalHttp.has(ext) ? false : undefined));
  }
  for (const c of model.clusters) {
    // Upstream HTTP filters (HttpProtocolOptions.http_filters) end with the upstream codec filter.
    const options = child(c.loc, "typed_extension_protocol_options");
    if (!options || typeof options.value !== "object") continue;
    for (const key of Object.keys(options.value as object)) {
      const opt = child(options, key);
      const list = opt && child(opt, "http_filters");
      if (!list) continue;
      const filters = filtersOf(list);
      checkTerminal(ctx, filters, HTTP, "http", (ext) => (ext === "upstream_codec" ? true : ext === "router" ? true : nonTerminalHttp.has(ext) ? false : undefined));
    }
  }
}

// A connection manager in front of identity-rbac or hbone-inbound must take the downstream address from the TCP
// peer. Without `use_remote_address: true` Envoy takes it from the client's x-forwarded-for
// (envoyproxy/envoy:source/common/http/conn_manager_utility.cc), and `source.address` — ipBlocks, the peer's
// labels, %DOWNSTREAM_REMOTE_ADDRESS% — becomes whatever the client wrote. Trusted hops re-open the same hole.
import { child, warn, type SemanticContext } from "./located.ts";
import { HTTP_WASM_TYPE, connectionManagers, filtersOf, httpFilterList, type BootstrapModel, type FilterEntry } from "./model.ts";

/** The root ids (and module names) of filters that judge or label the peer by its address. */
const ADDRESS_SENSITIVE = /^(identity-rbac(-l7|-connect)?|hbone-inbound)$/;

function rootIdOf(f: FilterEntry): string {
  const plugin = f.config?.config as Record<string, unknown> | undefined;
  return typeof plugin?.root_id === "string" ? plugin.root_id : typeof plugin?.rootId === "string" ? plugin.rootId : "";
}

function isAddressSensitive(f: FilterEntry): boolean {
  if (f.typeName !== HTTP_WASM_TYPE || !f.config) return false;
  const plugin = f.config.config as Record<string, unknown> | undefined;
  const rootId = rootIdOf(f);
  if (ADDRESS_SENSITIVE.test(rootId)) return true;
  const vm = (plugin?.vm_config ?? plugin?.vmConfig) as Record<string, unknown> | undefined;
  const code = JSON.stringify(vm?.code ?? "");
  return /(identity-rbac|hbone-inbound)\.wasm/.test(code) && rootId !== "identity-rbac-l4";
}

export function checkRemoteAddress(model: BootstrapModel, ctx: SemanticContext): void {
  for (const hcm of connectionManagers(model)) {
    const list = httpFilterList(hcm);
    if (!list || !hcm.config || !hcm.configLoc) continue;
    const found = filtersOf(list).find(isAddressSensitive);
    if (!found) continue;
    const sensitive = { name: rootIdOf(found) || found.name };
    const loc = { ...hcm.configLoc, value: hcm.config };
    const useRemote = child(loc, "use_remote_address");
    const value = useRemote && (typeof useRemote.value === "object" ? (useRemote.value as { value?: unknown }).value : useRemote.value);
    if (value !== true) {
      warn(ctx, useRemote ?? loc, `HTTP connection manager in front of ${sensitive.name} does not set use_remote_address: true; ` +
        "Envoy then takes the downstream address from the client's x-forwarded-for, and source.address (ipBlocks, peer labels) is forgeable");
    }
    const hops = child(loc, "xff_num_trusted_hops");
    if (hops && typeof hops.value === "number" && hops.value > 0) {
      warn(ctx, hops, `xff_num_trusted_hops > 0 in front of ${sensitive.name}: the client's x-forwarded-for entries are trusted as the source address`);
    }
  }
}

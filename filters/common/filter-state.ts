// Writing the `wasm.*` keys of lib/filter-state-keys.ts. proxy_set_property takes the name without the `wasm.`
// prefix Envoy adds (envoyproxy/envoy:source/extensions/common/wasm/context.cc setProperty), so the contract keeps
// full keys and this is the one place that drops the prefix.
import { WasmResult, setPropertyString } from "../../sdk";
import { WASM_PREFIX } from "../../lib/filter-state-keys";

/** Stores `value` under `key` (a `wasm.<name>` key of lib/filter-state-keys.ts) in this stream's filter state; any other key → BadArgument. */
export function setWasmFilterState(key: string, value: string): WasmResult {
  if (!key.startsWith(WASM_PREFIX)) return WasmResult.BadArgument;
  return setPropertyString(key.substring(WASM_PREFIX.length), value);
}

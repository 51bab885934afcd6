// `vm_config.runtime` must name a Wasm runtime the Envoy we run has registered: Envoy refuses an unknown one
// ("Failed to create Wasm VM using <name> runtime. Envoy may be compiled without support for it"), a schema
// check cannot see it (it is a plain string). The list comes from the newest pinned Envoy (envoy/extensions.ts);
// without that Envoy installed, from the names Envoy's source defines
// (envoyproxy/envoy:source/extensions/common/wasm/wasm_runtime_factory.h and the runtime factories).
import { registeredExtensions } from "../../../envoy/extensions.ts";
import { newestPinned, resolveEnvoy } from "../../../envoy/provision.ts";

const SOURCE_DEFINED = ["envoy.wasm.runtime.null", "envoy.wasm.runtime.v8", "envoy.wasm.runtime.wamr", "envoy.wasm.runtime.wasmtime"];

export interface KnownRuntimes {
  names: string[];
  /** Where the list comes from, for messages: "Envoy 1.40.0" or "Envoy's source". */
  source: string;
}

let known: KnownRuntimes | undefined;

export function knownWasmRuntimes(): KnownRuntimes {
  if (known) return known;
  try {
    const envoy = resolveEnvoy({ version: newestPinned(), install: false });
    const names = registeredExtensions(envoy)["envoy.wasm.runtime"];
    if (names?.length) return (known = { names, source: `Envoy ${envoy.version}` });
  } catch {
    // No pinned Envoy here: fall back to the names Envoy defines.
  }
  return (known = { names: SOURCE_DEFINED, source: "Envoy's source (the pinned Envoy is not installed)" });
}

// Filter-state keys shared between filters. Valid AssemblyScript and TypeScript, so the emulator tests and the
// filters read the same strings. A key `wasm.<name>` is written with set_property("<name>", …) (Envoy stores a
// Wasm property as CelState `wasm.<name>`: envoyproxy/envoy:source/extensions/common/wasm/context.cc setProperty).

/**
 * The resolved destination of an HBONE CONNECT, `ip:port` exactly as the ORIGINAL_DST cluster will dial it
 * (hbone-inbound writes it; identity-rbac in connect mode judges it). ztunnel authorizes the resolved workload
 * and target port, not the text of :authority (istio/ztunnel:src/proxy/inbound.rs).
 */
export const HBONE_CONNECT_TARGET: string = "wasm.hbone_connect_target";

/** The set_property name of a `wasm.<name>` key. */
export function wasmPropertyName(key: string): string {
  return key.startsWith("wasm.") ? key.substring(5) : key;
}

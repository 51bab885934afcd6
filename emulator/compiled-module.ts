// A module as Envoy's loader accepts it, compiled once per VM key and shared by every VM cloned from it
// (base, canary, per-worker): corrupt-bytes check, ABI detection (proxy-wasm-cpp-host src/bytecode_util.cc
// getAbiVersion: first marker in export order wins), link checks (src/v8/v8.cc link: every import registered
// with the same signature, no imported globals) and export signatures (src/v8/v8.cc getModuleFunctionImpl).
import { readModuleShape, type FuncSig, type ModuleShape } from "./wasm-binary.ts";
import { envoyImportSignatures, type AbiVersion } from "./imports.ts";

export class VmLoadError extends Error {}

export interface CompiledModule {
  readonly module: WebAssembly.Module;
  readonly shape: ModuleShape;
  readonly abi: AbiVersion;
  readonly bytes: Uint8Array;
}

const I = "i32";
const sig = (params: string[], results: string | null): FuncSig => ({ params: params.length ? params.join(" ") : "void", results: results ?? "void" });
const n = (k: number) => new Array<string>(k).fill(I);

/** Exports the host looks up, with the exact signature it requires (include/proxy-wasm/wasm.h). */
function exportSignatures(abi: AbiVersion): Record<string, FuncSig> {
  const sigs: Record<string, FuncSig> = {
    _initialize: sig([], null), _start: sig([], null), main: sig(n(2), I), __main_void: sig([], I),
    malloc: sig(n(1), I), proxy_on_memory_allocate: sig(n(1), I),
    proxy_on_context_create: sig(n(2), null), proxy_on_vm_start: sig(n(2), I), proxy_on_configure: sig(n(2), I),
    proxy_validate_configuration: sig(n(2), I), proxy_on_tick: sig(n(1), null),
    proxy_on_new_connection: sig(n(1), I), proxy_on_downstream_data: sig(n(3), I), proxy_on_upstream_data: sig(n(3), I),
    proxy_on_downstream_connection_close: sig(n(2), null), proxy_on_upstream_connection_close: sig(n(2), null),
    proxy_on_request_headers: abi === "0.1.0" ? sig(n(2), I) : sig(n(3), I),
    proxy_on_request_body: sig(n(3), I), proxy_on_request_trailers: sig(n(2), I), proxy_on_request_metadata: sig(n(2), I),
    proxy_on_response_headers: abi === "0.1.0" ? sig(n(2), I) : sig(n(3), I),
    proxy_on_response_body: sig(n(3), I), proxy_on_response_trailers: sig(n(2), I), proxy_on_response_metadata: sig(n(2), I),
    proxy_on_http_call_response: sig(n(5), null),
    proxy_on_grpc_receive_initial_metadata: sig(n(3), null), proxy_on_grpc_receive: sig(n(3), null),
    proxy_on_grpc_receive_trailing_metadata: sig(n(3), null), proxy_on_grpc_close: sig(n(3), null),
    proxy_on_queue_ready: sig(n(2), null), proxy_on_done: sig(n(1), I), proxy_on_log: sig(n(1), null),
    proxy_on_delete: sig(n(1), null), envoy_on_resolve_dns: sig(n(3), null), envoy_on_stats_update: sig(n(2), null),
  };
  if (abi !== "0.1.0") sigs.proxy_on_foreign_function = sig(n(3), null);
  return sigs;
}

/** Compile and check a module; throws VmLoadError with Envoy's rejection text. */
export function compileModule(bytes: Uint8Array): CompiledModule {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new VmLoadError("Failed to parse corrupted Wasm module");
  }
  let module: WebAssembly.Module;
  let shape: ModuleShape;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    shape = readModuleShape(bytes);
  } catch {
    throw new VmLoadError("Failed to parse corrupted Wasm module");
  }
  let abi: AbiVersion | null = null;
  for (const e of shape.exports) {
    if (e.kind !== 0) continue;
    if (e.name === "proxy_abi_version_0_1_0") abi = "0.1.0";
    else if (e.name === "proxy_abi_version_0_2_0") abi = "0.2.0";
    else if (e.name === "proxy_abi_version_0_2_1") abi = "0.2.1";
    if (abi) break;
  }
  if (!abi) throw new VmLoadError("Missing or unknown Proxy-Wasm ABI version");

  const registered = envoyImportSignatures(abi);
  for (const imp of shape.imports) {
    const full = `${imp.module}.${imp.name}`;
    if (imp.kind === 0) {
      const want = registered.get(full);
      if (!want) throw new VmLoadError(`Failed to load Wasm module due to a missing import: ${full}`);
      if (!imp.sig || want.params !== imp.sig.params || want.results !== imp.sig.results) {
        throw new VmLoadError(
          `Failed to load Wasm module due to an import type mismatch: ${full}, want: ${imp.sig?.params} -> ${imp.sig?.results}, but host exports: ${want.params} -> ${want.results}`,
        );
      }
    } else if (imp.kind === 3) {
      throw new VmLoadError(`Failed to load Wasm module due to a missing import: ${full}`);
    }
  }

  const sigs = exportSignatures(abi);
  for (const e of shape.exports) {
    if (e.kind !== 0 || !e.sig) continue;
    const want = sigs[e.name];
    if (want && (want.params !== e.sig.params || want.results !== e.sig.results)) {
      throw new VmLoadError(
        `Bad function signature for: ${e.name}, want: ${want.params} -> ${want.results}, but the module exports: ${e.sig.params} -> ${e.sig.results}`,
      );
    }
  }
  return { module, shape, abi, bytes };
}

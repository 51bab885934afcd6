// The exact import set Envoy registers for a module, by ABI version
// (proxy-wasm-cpp-host include/proxy-wasm/exports.h FOR_ALL_HOST_FUNCTIONS / FOR_ALL_WASI_FUNCTIONS,
// src/wasm.cc WasmBase::registerCallbacks; envoy source/extensions/common/wasm/wasm.cc Wasm::registerCallbacks).
// Signatures follow ConvertFunctionWordToUint32: Word → i32, (u)int64_t → i64.

export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";

const I = "i32", L = "i64";
const sig = (params: string[], result: string | null = I) => ({
  params: params.length ? params.join(" ") : "void",
  results: result ?? "void",
});
const n = (k: number) => new Array<string>(k).fill(I);

/** proxy_* functions registered for every ABI. */
export const COMMON_PROXY_IMPORTS: Record<string, { params: string; results: string }> = {
  proxy_log: sig(n(3)),
  proxy_get_status: sig(n(3)),
  proxy_set_property: sig(n(4)),
  proxy_get_property: sig(n(4)),
  proxy_send_local_response: sig(n(8)),
  proxy_get_shared_data: sig(n(5)),
  proxy_set_shared_data: sig(n(5)),
  proxy_register_shared_queue: sig(n(3)),
  proxy_resolve_shared_queue: sig(n(5)),
  proxy_dequeue_shared_queue: sig(n(3)),
  proxy_enqueue_shared_queue: sig(n(3)),
  proxy_get_header_map_value: sig(n(5)),
  proxy_add_header_map_value: sig(n(5)),
  proxy_replace_header_map_value: sig(n(5)),
  proxy_remove_header_map_value: sig(n(3)),
  proxy_get_header_map_pairs: sig(n(3)),
  proxy_set_header_map_pairs: sig(n(3)),
  proxy_get_header_map_size: sig(n(2)),
  proxy_get_buffer_status: sig(n(3)),
  proxy_get_buffer_bytes: sig(n(5)),
  proxy_set_buffer_bytes: sig(n(5)),
  proxy_http_call: sig(n(10)),
  proxy_grpc_call: sig(n(12)),
  proxy_grpc_stream: sig(n(9)),
  proxy_grpc_close: sig(n(1)),
  proxy_grpc_cancel: sig(n(1)),
  proxy_grpc_send: sig(n(4)),
  proxy_set_tick_period_milliseconds: sig(n(1)),
  proxy_get_current_time_nanoseconds: sig(n(1)),
  proxy_define_metric: sig(n(4)),
  proxy_increment_metric: sig([I, L]),
  proxy_record_metric: sig([I, L]),
  proxy_get_metric: sig(n(2)),
  proxy_set_effective_context: sig(n(1)),
  proxy_done: sig([]),
  proxy_call_foreign_function: sig(n(6)),
};

export const ABI_SPECIFIC_IMPORTS: Record<AbiVersion, Record<string, { params: string; results: string }>> = {
  "0.1.0": {
    proxy_get_configuration: sig(n(2)),
    proxy_continue_request: sig([]),
    proxy_continue_response: sig([]),
    proxy_clear_route_cache: sig([]),
  },
  "0.2.0": { proxy_continue_stream: sig(n(1)), proxy_close_stream: sig(n(1)) },
  "0.2.1": { proxy_continue_stream: sig(n(1)), proxy_close_stream: sig(n(1)), proxy_get_log_level: sig(n(1)) },
};

/** Always registered under `env` (src/wasm.cc), plus Envoy's own envoy_resolve_dns. */
export const ENV_EXTRA_IMPORTS: Record<string, { params: string; results: string }> = {
  pthread_equal: sig(n(2)),
  emscripten_notify_memory_growth: sig(n(1), null),
  envoy_resolve_dns: sig(n(3)),
};

/** WASI functions, registered under both wasi_unstable and wasi_snapshot_preview1 (exports.h). */
export const WASI_IMPORTS: Record<string, { params: string; results: string }> = {
  fd_write: sig(n(4)),
  fd_read: sig(n(4)),
  fd_seek: sig([I, L, I, I]),
  fd_close: sig(n(1)),
  fd_fdstat_get: sig(n(2)),
  fd_fdstat_set_flags: sig(n(2)),
  fd_fdstat_set_rights: sig([I, L, L]),
  environ_get: sig(n(2)),
  environ_sizes_get: sig(n(2)),
  args_get: sig(n(2)),
  args_sizes_get: sig(n(2)),
  clock_time_get: sig([I, L, I]),
  clock_res_get: sig(n(2)),
  fd_advise: sig([I, L, L, I]),
  fd_allocate: sig([I, L, L]),
  fd_datasync: sig(n(1)),
  fd_filestat_set_size: sig([I, L]),
  fd_filestat_set_times: sig([I, L, L, I]),
  fd_pread: sig([I, I, I, L, I]),
  fd_pwrite: sig([I, I, I, L, I]),
  fd_readdir: sig([I, I, I, L, I]),
  fd_renumber: sig(n(2)),
  fd_sync: sig(n(1)),
  fd_tell: sig(n(2)),
  path_create_directory: sig(n(3)),
  path_filestat_set_times: sig([I, I, I, I, L, L, I]),
  path_link: sig(n(6)),
  path_readlink: sig(n(6)),
  path_remove_directory: sig(n(3)),
  path_rename: sig(n(6)),
  path_symlink: sig(n(4)),
  path_unlink_file: sig(n(3)),
  sock_accept: sig(n(3)),
  sock_recv: sig(n(6)),
  sock_send: sig(n(5)),
  sock_shutdown: sig(n(2)),
  random_get: sig(n(2)),
  sched_yield: sig([]),
  poll_oneoff: sig(n(4)),
  proc_exit: sig(n(1), null),
  path_open: sig([I, I, I, I, I, L, L, I, I]),
  fd_prestat_get: sig(n(2)),
  fd_prestat_dir_name: sig(n(3)),
  path_filestat_get: sig(n(5)),
  fd_filestat_get: sig(n(2)),
};

export const WASI_MODULES = ["wasi_unstable", "wasi_snapshot_preview1"] as const;

/** Every "module.name" → signature Envoy registers for a module of this ABI. */
export function envoyImportSignatures(abi: AbiVersion): Map<string, { params: string; results: string }> {
  const out = new Map<string, { params: string; results: string }>();
  for (const [k, v] of Object.entries(ENV_EXTRA_IMPORTS)) out.set(`env.${k}`, v);
  for (const [k, v] of Object.entries(COMMON_PROXY_IMPORTS)) out.set(`env.${k}`, v);
  for (const [k, v] of Object.entries(ABI_SPECIFIC_IMPORTS[abi])) out.set(`env.${k}`, v);
  for (const m of WASI_MODULES) for (const [k, v] of Object.entries(WASI_IMPORTS)) out.set(`${m}.${k}`, v);
  return out;
}

/** The exact set of "module.name" imports Envoy provides for an ABI version. */
export function envoyImportNames(abi: AbiVersion): Set<string> {
  return new Set(envoyImportSignatures(abi).keys());
}

/**
 * Hostcalls allowed while the VM runs `_initialize`/`_start`/`main` (src/wasm.cc startVm); everything
 * else traps with "restricted_callback".
 */
export const INIT_ALLOWED = new Set<string>([
  "env.emscripten_notify_memory_growth", "env.proxy_log",
  ...WASI_MODULES.flatMap((m) => [
    "fd_write", "args_sizes_get", "args_get", "environ_sizes_get", "environ_get", "clock_time_get", "clock_res_get",
    "random_get", "poll_oneoff", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_advise", "fd_allocate", "fd_datasync",
    "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread",
    "fd_prestat_dir_name", "fd_prestat_get", "fd_pwrite", "fd_readdir", "fd_renumber", "fd_sync", "fd_tell",
    "path_create_directory", "path_filestat_get", "path_filestat_set_times", "path_link", "path_readlink",
    "path_remove_directory", "path_rename", "path_symlink", "path_unlink_file", "sock_accept", "sock_recv",
    "sock_send", "sock_shutdown",
  ].map((f) => `${m}.${f}`)),
]);

/** Hostcalls allowed while the host runs the module's allocator (include/proxy-wasm/wasm.h allocMemory). */
export const MALLOC_ALLOWED = new Set<string>([
  "env.proxy_log",
  ...WASI_MODULES.flatMap((m) => ["fd_write", "clock_time_get", "poll_oneoff"].map((f) => `${m}.${f}`)),
]);

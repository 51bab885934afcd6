// Everything a filter module must export. A filter's entry file (filters/<name>/filter.ts) re-exports this:
//   export * from "../../sdk/exports";
// so Envoy finds the ABI marker, the allocators and every proxy_on_* callback. (`memory` and `_initialize`
// come from asconfig.json: AssemblyScript exports memory by default, `--exportStart _initialize`.)
import "./runtime/abort";

/** ABI marker: Envoy only checks that this function export exists. */
export function proxy_abi_version_0_2_1(): void {}

export { malloc, proxy_on_memory_allocate } from "./memory";
export {
  proxy_on_context_create, proxy_on_vm_start, proxy_on_configure, proxy_on_tick, proxy_on_queue_ready, proxy_on_foreign_function,
  proxy_on_done, proxy_on_log, proxy_on_delete,
  proxy_on_request_headers, proxy_on_request_body, proxy_on_request_trailers, proxy_on_request_metadata,
  proxy_on_response_headers, proxy_on_response_body, proxy_on_response_trailers, proxy_on_response_metadata,
  proxy_on_new_connection, proxy_on_downstream_data, proxy_on_upstream_data,
  proxy_on_downstream_connection_close, proxy_on_upstream_connection_close,
  proxy_on_http_call_response,
  proxy_on_grpc_receive_initial_metadata, proxy_on_grpc_receive, proxy_on_grpc_receive_trailing_metadata, proxy_on_grpc_close,
} from "./dispatcher";

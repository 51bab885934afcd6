;; Floor for an HTTP request without a body (headers both ways, then log/done/delete): a proxy-wasm module
;; that exports only the callbacks that lifecycle reaches and does nothing in them (Continue, no host calls).
(module
  (memory (export "memory") 1)
  ;; Never called on this lifecycle (the floor reads nothing from the host); a fixed scratch address keeps it valid.
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))
)

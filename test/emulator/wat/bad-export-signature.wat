;; ABI 0.2.1 requires proxy_on_request_headers(ctx, headers, end_of_stream).
(module
  (memory (export "memory") 1)
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))
)

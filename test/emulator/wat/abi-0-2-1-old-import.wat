;; Claims ABI 0.2.1 but imports the 0.1.0-only proxy_continue_request.
(module
  (import "env" "proxy_continue_request" (func $continue_request (result i32)))
  (memory (export "memory") 1)
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
)

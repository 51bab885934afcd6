;; An ABI 0.1.0 module: uses the 0.1.0-only imports and the two-argument on_request_headers.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_configuration" (func $get_configuration (param i32 i32) (result i32)))
  (import "env" "proxy_continue_request" (func $continue_request (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  ;;@prelude
  (func (export "proxy_abi_version_0_1_0"))
  (func (export "proxy_on_configure") (param $ctx i32) (param $size i32) (result i32)
    (call $logkv (str "get_configuration") (call $get_configuration (i32.const 0) (i32.const 4)))
    (call $logret)
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (result i32)
    (call $logkv (str "headers") (local.get $n))
    ;; ABI 0.1.0: a missing header is Ok with an empty value.
    (call $logkv (str "missing") (call $get_header (i32.const 0) (str "x-missing") (i32.const 0) (i32.const 4)))
    (call $logkv (str "missing_size") (i32.load (i32.const 4)))
    (i32.const 0))
)

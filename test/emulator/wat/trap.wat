;; Traps in on_request_headers and on_new_connection.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  ;;@prelude
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param $ctx i32) (param $parent i32)
    (call $logkv (str "create") (local.get $ctx)))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $logs (str "before_trap"))
    unreachable)
  (func (export "proxy_on_response_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $logs (str "response_headers")) (i32.const 0))
  (func (export "proxy_on_new_connection") (param $ctx i32) (result i32)
    unreachable)
  (func (export "proxy_on_log") (param $ctx i32) (call $logs (str "log")))
)

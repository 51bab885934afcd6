;; Sends a local reply from on_request_headers; logs what the response path then sees.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response" (func $send (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  ;;@prelude
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $logkv (str "send") (call $send (i32.const 403) (str "denied by\tpolicy") (str "nope")
      (str "\01\00\00\00\08\00\00\00\04\00\00\00X-Reason\00test\00") (i32.const -1)))
    (call $logs (str "after_send"))
    ;; returns Continue, but the host forces "stop" after a local reply
    (i32.const 0))
  (func (export "proxy_on_request_body") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $logs (str "request_body")) (i32.const 0))
  (func (export "proxy_on_response_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $logkv (str "local_response_headers") (local.get $ctx))
    (drop (call $add (i32.const 2) (str "x-enc") (str "a")))
    (i32.const 0))
  (func (export "proxy_on_response_body") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $logkv (str "local_response_body") (local.get $n)) (i32.const 0))
)

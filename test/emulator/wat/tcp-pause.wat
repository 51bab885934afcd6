;; Network filter that pauses on new connection and on the first data, resuming from the tick;
;; logs its name (plugin configuration) so chains show their order.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_effective (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
  ;;@prelude
  (global $mode (mut i32) (i32.const 0))
  (global $conn (mut i32) (i32.const 0))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_configure") (param $ctx i32) (param $size i32) (result i32)
    ;; configuration: "p" = pause on new connection, "d" = pause data until 6 bytes, "w" = tag writes
    (drop (call $get_bytes (i32.const 7) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 4)))
    (global.set $mode (i32.load8_u (i32.load (i32.const 0))))
    (drop (call $set_tick (i32.const 1000)))
    (i32.const 1))
  (func (export "proxy_on_new_connection") (param $ctx i32) (result i32)
    (global.set $conn (local.get $ctx))
    (call $logkv (str "new_connection") (local.get $ctx))
    (i32.eq (global.get $mode) (i32.const 112)))
  (func (export "proxy_on_downstream_data") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (call $logkv (str "data") (local.get $n))
    (if (result i32) (i32.eq (global.get $mode) (i32.const 100))
      (then (i32.lt_u (local.get $n) (i32.const 6)))
      (else (i32.const 0))))
  (func (export "proxy_on_upstream_data") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    ;; append "<ctx id>" tag to what flows to the client
    (i32.store8 (i32.const 300) (i32.add (i32.const 48) (local.get $ctx)))
    (call $logkv (str "write") (local.get $ctx))
    (drop (call $set_bytes (i32.const 3) (i32.const 100000) (i32.const 0) (i32.const 300) (i32.const 1)))
    (i32.const 0))
  ;; the tick resumes the paused connection once
  (func (export "proxy_on_tick") (param $ctx i32)
    (if (i32.and (i32.ne (global.get $conn) (i32.const 0)) (i32.ne (global.get $mode) (i32.const 119))) (then
      (drop (call $set_effective (global.get $conn)))
      (call $logkv (str "continue") (call $continue (i32.const 2)))
      (global.set $conn (i32.const 0)))))
)

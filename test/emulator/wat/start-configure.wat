;; on_vm_start / on_configure fail when their configuration is exactly 4 bytes long.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_status" (func $get_buffer_status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
  ;;@prelude
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_vm_start") (param $ctx i32) (param $size i32) (result i32)
    (i32.ne (local.get $size) (i32.const 4)))
  (func (export "proxy_on_configure") (param $ctx i32) (param $size i32) (result i32)
    (call $logkv (str "plugin_config") (call $get_buffer_bytes (i32.const 7) (i32.const 0) (local.get $size) (i32.const 0) (i32.const 4)))
    (call $logret)
    (drop (call $set_tick (i32.const 1000)))
    (i32.ne (local.get $size) (i32.const 4)))
  (func (export "proxy_on_tick") (param $ctx i32)
    ;; plugin configuration is only readable during on_configure
    (call $logkv (str "plugin_config_later") (call $get_buffer_status (i32.const 7) (i32.const 8) (i32.const 12)))
    (call $logkv (str "vm_config_later") (call $get_buffer_status (i32.const 6) (i32.const 8) (i32.const 12))))
)

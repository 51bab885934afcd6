;; The allocator calls a hostcall that is not allowed while the host allocates.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "malloc") (param $n i32) (result i32)
    (drop (call $set_tick (i32.const 5)))
    (i32.const 8192))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_vm_start") (param $ctx i32) (param $size i32) (result i32)
    (drop (call $get_buffer_bytes (i32.const 6) (i32.const 0) (local.get $size) (i32.const 0) (i32.const 4)))
    (i32.const 1))
)

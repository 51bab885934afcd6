;; Traps only when asked, so one Envoy can carry failing and healthy streams through the same plugin:
;; an HTTP request with header "x-trap" traps in on_request_headers; a TCP connection whose first downstream bytes
;; start with "trap" traps in on_downstream_data. Everything else continues.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_bytes (param i32 i32 i32 i32 i32) (result i32)))
  ;;@prelude
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param $ctx i32) (param $parent i32))
  (func (export "proxy_on_vm_start") (param $ctx i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $ctx i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (if (i32.eqz (call $get_header (i32.const 0) (str "x-trap") (i32.const 0) (i32.const 4)))
      (then (call $logs (str "trapping on request headers")) unreachable))
    (i32.const 0))
  (func (export "proxy_on_new_connection") (param $ctx i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (if (i32.ge_u (local.get $size) (i32.const 4)) (then
      ;; buffer 2 = downstream data
      (if (i32.eqz (call $get_bytes (i32.const 2) (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 4))) (then
        ;; "trap" as a little-endian u32
        (if (i32.eq (i32.load (i32.load (i32.const 0))) (i32.const 0x70617274))
          (then (call $logs (str "trapping on downstream data")) unreachable))))))
    (i32.const 0))
  (func (export "proxy_on_upstream_data") (param $ctx i32) (param $size i32) (param $eos i32) (result i32) (i32.const 0))
  (func (export "proxy_on_done") (param $ctx i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param $ctx i32))
)

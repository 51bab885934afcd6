;; _initialize calls a hostcall that is not allowed during VM start.
(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  ;;@prelude
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize")
    (call $logs (str "before"))
    (drop (call $get_property (str "plugin_name") (i32.const 0) (i32.const 4)))
    (call $logs (str "after")))
)

(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  ;;@prelude
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize") (call $logs (str "_initialize")))
  (func (export "main") (param i32 i32) (result i32) (call $logs (str "main")) (i32.const 0))
  (func (export "__main_void") (result i32) (call $logs (str "__main_void")) (i32.const 0))
  (func (export "_start") (call $logs (str "_start")))
)

(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  ;;@prelude
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_start") (call $logs (str "_start")))
  (func (export "main") (param i32 i32) (result i32) (call $logs (str "main")) (i32.const 0))
)

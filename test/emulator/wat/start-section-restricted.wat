;; A wasm start section runs at instantiation with the same restrictions.
(module
  (import "env" "proxy_define_metric" (func $define_metric (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
  (func $start (drop (call $define_metric (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))))
  (start $start)
)

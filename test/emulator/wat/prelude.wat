  ;; ---- test prelude: memory, bump allocator, logging helpers ----
  ;; scratch: [0] ptr, [4] size, [8] u32/u64 out, [16..] more outs; 400..999 log buffers; 2048.. strings.
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (global $mallocs (mut i32) (i32.const 0))
  (func $malloc (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (global.set $mallocs (i32.add (global.get $mallocs) (i32.const 1)))
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (local.get $p) (i32.and (i32.add (local.get $n) (i32.const 7)) (i32.const -8))))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.const 1)
        (i32.div_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 65536)))))))
    (local.get $p))
  ;; log a string at info
  (func $logs (param $p i32) (param $l i32)
    (drop (call $proxy_log (i32.const 2) (local.get $p) (local.get $l))))
  ;; log the bytes returned through the (ptr, size) slots at 0 and 4
  (func $logret
    (drop (call $proxy_log (i32.const 2) (i32.load (i32.const 0)) (i32.load (i32.const 4)))))
  ;; log "<key>=<decimal value>"
  (func $logkv (param $k i32) (param $kl i32) (param $v i32)
    (local $p i32) (local $u i32) (local $neg i32)
    (local.set $p (i32.const 990))
    (local.set $u (local.get $v))
    (if (i32.lt_s (local.get $v) (i32.const 0))
      (then (local.set $neg (i32.const 1)) (local.set $u (i32.sub (i32.const 0) (local.get $v)))))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $u) (i32.const 10))))
      (local.set $u (i32.div_u (local.get $u) (i32.const 10)))
      (br_if $digits (i32.ne (local.get $u) (i32.const 0))))
    (if (local.get $neg)
      (then (local.set $p (i32.sub (local.get $p) (i32.const 1))) (i32.store8 (local.get $p) (i32.const 45))))
    (memory.copy (i32.const 400) (local.get $k) (local.get $kl))
    (i32.store8 (i32.add (i32.const 400) (local.get $kl)) (i32.const 61))
    (memory.copy (i32.add (i32.const 401) (local.get $kl)) (local.get $p) (i32.sub (i32.const 990) (local.get $p)))
    (drop (call $proxy_log (i32.const 2) (i32.const 400)
      (i32.add (i32.add (local.get $kl) (i32.const 1)) (i32.sub (i32.const 990) (local.get $p))))))
  ;; ---- end of prelude ----

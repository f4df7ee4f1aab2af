;; The side-module link (build/sidelink.wasm, built by scripts/build-side-link.mjs): the trace
;; table's alloc / alloc1 / realloc / realloc1 as a SIDE_MODULE's wrapper calls them, passed on
;; to the main module's table with the frames joined, all in Wasm (src/host/dynamicLinking.ts).
;;
;; A side module is instrumented on its own: its site ids start at 1 and its shadow stack holds
;; only its own calls. One instance of this module per linked side module:
;;   - moves the side module's site ids past the main module's (`link.siteBase`; 0 stays "no site");
;;   - continues the traceback, after the side module's own frames, with the main module's active
;;     call sites (the calls that led into the side module), read from the main module's shadow
;;     stack in the memory both share (`main.depth/base/mask`: docs/abi.md section 1);
;;   - counts the frames of both in `total`.
;; So a side-module allocation costs two Wasm-to-Wasm calls and no JS.

(module
  (import "main" "memory" (memory 0))
  (import "main" "depth" (global $depth (mut i32)))
  (import "main" "base" (global $base (mut i32)))
  (import "main" "mask" (global $mask (mut i32)))
  (import "link" "siteBase" (global $siteBase i32))
  (import "table" "alloc" (func $alloc (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "table" "alloc1" (func $alloc1 (param i32 i32 i32 i32)))
  (import "table" "realloc" (func $realloc (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "table" "realloc1" (func $realloc1 (param i32 i32 i32 i32 i32)))

  ;; The main module's i-th most recent call site (i >= 1), 0 past the depth of its stack.
  (func $mainFrame (param $i i32) (result i32)
    (local $back i32)
    (local.set $back (i32.shl (local.get $i) (i32.const 2)))
    (if (result i32) (i32.gt_u (local.get $back) (global.get $depth))
      (then (i32.const 0))
      (else (i32.load (i32.or (global.get $base)
        (i32.and (i32.sub (global.get $depth) (local.get $back)) (global.get $mask)))))))

  ;; Frame k of the joined traceback: the side module's frame f (moved past the main module's
  ;; site ids) while k < own, its frames kept; after them the main module's frames.
  (func $frame (param $k i32) (param $own i32) (param $f i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $k) (local.get $own))
      (then (select (i32.add (local.get $f) (global.get $siteBase)) (i32.const 0) (local.get $f)))
      (else (call $mainFrame (i32.add (i32.sub (local.get $k) (local.get $own)) (i32.const 1))))))

  ;; The side module's frames plus the main module's.
  (func $joinedTotal (param $total i32) (result i32)
    (i32.add (local.get $total) (i32.shr_u (global.get $depth) (i32.const 2))))

  ;; min(total, n): how many of the frames passed are the side module's own.
  (func $keptOwn (param $total i32) (param $n i32) (result i32)
    (select (local.get $total) (local.get $n) (i32.lt_u (local.get $total) (local.get $n))))

  (func (export "alloc") (param $ptr i32) (param $size i32) (param $total i32) (param $f0 i32) (param $f1 i32) (param $f2 i32) (param $f3 i32) (param $f4 i32) (param $f5 i32) (param $f6 i32) (param $f7 i32) (param $f8 i32) (param $f9 i32) (param $f10 i32) (param $f11 i32) (param $f12 i32) (param $f13 i32) (param $f14 i32) (param $f15 i32)
    (local $own i32)
    (local.set $own (call $keptOwn (local.get $total) (i32.const 16)))
    (call $alloc (local.get $ptr) (local.get $size) (call $joinedTotal (local.get $total))
      (call $frame (i32.const 0) (local.get $own) (local.get $f0))
      (call $frame (i32.const 1) (local.get $own) (local.get $f1))
      (call $frame (i32.const 2) (local.get $own) (local.get $f2))
      (call $frame (i32.const 3) (local.get $own) (local.get $f3))
      (call $frame (i32.const 4) (local.get $own) (local.get $f4))
      (call $frame (i32.const 5) (local.get $own) (local.get $f5))
      (call $frame (i32.const 6) (local.get $own) (local.get $f6))
      (call $frame (i32.const 7) (local.get $own) (local.get $f7))
      (call $frame (i32.const 8) (local.get $own) (local.get $f8))
      (call $frame (i32.const 9) (local.get $own) (local.get $f9))
      (call $frame (i32.const 10) (local.get $own) (local.get $f10))
      (call $frame (i32.const 11) (local.get $own) (local.get $f11))
      (call $frame (i32.const 12) (local.get $own) (local.get $f12))
      (call $frame (i32.const 13) (local.get $own) (local.get $f13))
      (call $frame (i32.const 14) (local.get $own) (local.get $f14))
      (call $frame (i32.const 15) (local.get $own) (local.get $f15))))

  (func (export "alloc1") (param $ptr i32) (param $size i32) (param $total i32) (param $f0 i32)
    (call $alloc1 (local.get $ptr) (local.get $size) (call $joinedTotal (local.get $total))
      (call $frame (i32.const 0) (call $keptOwn (local.get $total) (i32.const 1)) (local.get $f0))))

  (func (export "realloc") (param $old i32) (param $ptr i32) (param $size i32) (param $total i32) (param $f0 i32) (param $f1 i32) (param $f2 i32) (param $f3 i32) (param $f4 i32) (param $f5 i32) (param $f6 i32) (param $f7 i32) (param $f8 i32) (param $f9 i32) (param $f10 i32) (param $f11 i32) (param $f12 i32) (param $f13 i32) (param $f14 i32) (param $f15 i32)
    (local $own i32)
    (local.set $own (call $keptOwn (local.get $total) (i32.const 16)))
    (call $realloc (local.get $old) (local.get $ptr) (local.get $size) (call $joinedTotal (local.get $total))
      (call $frame (i32.const 0) (local.get $own) (local.get $f0))
      (call $frame (i32.const 1) (local.get $own) (local.get $f1))
      (call $frame (i32.const 2) (local.get $own) (local.get $f2))
      (call $frame (i32.const 3) (local.get $own) (local.get $f3))
      (call $frame (i32.const 4) (local.get $own) (local.get $f4))
      (call $frame (i32.const 5) (local.get $own) (local.get $f5))
      (call $frame (i32.const 6) (local.get $own) (local.get $f6))
      (call $frame (i32.const 7) (local.get $own) (local.get $f7))
      (call $frame (i32.const 8) (local.get $own) (local.get $f8))
      (call $frame (i32.const 9) (local.get $own) (local.get $f9))
      (call $frame (i32.const 10) (local.get $own) (local.get $f10))
      (call $frame (i32.const 11) (local.get $own) (local.get $f11))
      (call $frame (i32.const 12) (local.get $own) (local.get $f12))
      (call $frame (i32.const 13) (local.get $own) (local.get $f13))
      (call $frame (i32.const 14) (local.get $own) (local.get $f14))
      (call $frame (i32.const 15) (local.get $own) (local.get $f15))))

  (func (export "realloc1") (param $old i32) (param $ptr i32) (param $size i32) (param $total i32) (param $f0 i32)
    (call $realloc1 (local.get $old) (local.get $ptr) (local.get $size) (call $joinedTotal (local.get $total))
      (call $frame (i32.const 0) (call $keptOwn (local.get $total) (i32.const 1)) (local.get $f0)))))

#!/usr/bin/env bash
# Rebuilds the test fixtures in fixtures/ from their sources in fixtures/src/, with the
# toolchains Debian bookworm ships (see fixtures/README.md). It installs nothing: when a tool
# is missing it names the Debian package that provides it and stops with a non-zero exit.
#
# Usage: scripts/build-fixtures.sh [--check] [TARGET...]
#   TARGET: wasi emscripten rust assemblyscript reliability allocators (the default: all six;
#           reliability: the misbehaving C programs of test/reliability/, written to wasi/ too,
#           and the misbehaving AssemblyScript program, written to assemblyscript/;
#           allocators: heap_phases.c against three allocators, for `bench`), and
#           tally (= tally-wasi tally-emscripten tally-rust tally-assemblyscript): the
#           cross-check builds, never committed, that count every allocator call (see
#           fixtures/src/c/tally/tally.c) or use AssemblyScript's rtrace hooks.
#   --check: only check that the tools of the targets are there (exit 0) or not (exit 1).
# Environment:
#   OUT_DIR    where the fixtures go (default: fixtures/ of this repository). Tests rebuild
#              into a temporary OUT_DIR and compare bytes with the committed files.
#   CACHE_DIR  scratch space: objects, Cargo's target dir and home, Emscripten's cache
#              (default: .cache/fixtures/ of this repository, which git ignores).
#
# Reproducibility: sources are compiled from fixtures/src/ with relative paths, and
# -ffile-prefix-map / --remap-path-prefix map that directory to "." (Rust: to
# "rust/<crate>"), so no absolute path of this machine ends up in DWARF. Every flag that
# decides the output is in this file.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# `npm run` and `npm test` put node_modules/.bin first in PATH, and binaryen's npm package has a
# wasm-opt there (another version than Debian's): clang and emcc would run it after linking and
# write other bytes. Only the system toolchains build fixtures.
PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v '/node_modules/\.bin$' | paste -sd: -)"
export PATH
SRC="$ROOT/fixtures/src"
OUT_DIR="${OUT_DIR:-$ROOT/fixtures}"
CACHE_DIR="${CACHE_DIR:-$ROOT/.cache/fixtures}"

CLANG=clang-14
CLANGXX=clang++-14
RUSTC=/usr/bin/rustc
CARGO=/usr/bin/cargo
DEBIAN_EM_CONFIG=/usr/share/emscripten/.emscripten
DEBIAN_EM_CACHE=/usr/share/emscripten/cache
ASC_JS="$ROOT/node_modules/assemblyscript/bin/asc.js"

# Versions the committed fixtures were built with; another version builds different bytes.
CLANG_VERSION=14.0.6
EMSCRIPTEN_VERSION=3.1.6
RUSTC_VERSION=1.63.0
ASC_VERSION=0.27.37

check_only=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    wasi | emscripten | rust | assemblyscript | reliability | allocators | tally-wasi | tally-emscripten | tally-rust | tally-assemblyscript)
      targets+=("$arg") ;;
    tally) targets+=(tally-wasi tally-emscripten tally-rust tally-assemblyscript) ;;
    -h | --help)
      sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *)
      echo "build-fixtures: unknown target '$arg' (wasi, emscripten, rust, assemblyscript, reliability, allocators, tally, tally-*)" >&2
      exit 2 ;;
  esac
done
[ ${#targets[@]} -eq 0 ] && targets=(wasi emscripten rust assemblyscript reliability allocators)

# ---- tool checks ------------------------------------------------------------------------

missing=()
packages=()
warnings=()

need_cmd() { # command debian-package
  if ! command -v "$1" >/dev/null 2>&1; then
    missing+=("command '$1' (Debian package: $2)")
    packages+=("$2")
  fi
}

need_file() { # glob debian-package what
  local f
  for f in $1; do
    [ -e "$f" ] && return 0
  done
  missing+=("$3: $1 (Debian package: $2)")
  packages+=("$2")
}

check_version() { # what expected actual-version-text
  case "$3" in
    *"$2"*) ;;
    *) warnings+=("$1 is not version $2: the fixtures will not be byte-identical to the committed ones") ;;
  esac
}

check_wasi() {
  need_cmd "$CLANG" clang-14
  need_cmd "$CLANGXX" clang-14
  need_cmd wasm-ld-14 lld-14
  need_file /usr/lib/wasm32-wasi/libc.a wasi-libc "wasi-libc"
  need_file "/usr/lib/llvm-14/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a" libclang-rt-14-dev-wasm32 "compiler-rt builtins for wasm32"
  need_file /usr/lib/wasm32-wasi/libc++.a libc++-14-dev-wasm32 "libc++ for wasm32-wasi"
  need_file /usr/lib/wasm32-wasi/libc++abi.a libc++abi-14-dev-wasm32 "libc++abi for wasm32-wasi"
  if command -v "$CLANG" >/dev/null 2>&1; then
    check_version "$CLANG" "$CLANG_VERSION" "$("$CLANG" --version | head -n 1)"
  fi
}

check_emscripten() {
  need_cmd emcc emscripten
  need_cmd node nodejs
  need_cmd wasm-opt binaryen
  need_file "$DEBIAN_EM_CACHE/sysroot/lib/wasm32-emscripten/libc.a" emscripten "Emscripten's prebuilt system libraries"
  need_file /usr/share/nodejs/acorn node-acorn "acorn, for Emscripten's JS optimizer"
  if command -v emcc >/dev/null 2>&1; then
    check_version emcc "$EMSCRIPTEN_VERSION" "$(emcc --version 2>/dev/null | head -n 1)"
  fi
}

check_rust() {
  need_file "$RUSTC" rustc "Debian's rustc"
  need_file "$CARGO" cargo "Debian's cargo"
  need_cmd rust-lld rustc
  need_file "/usr/lib/rustlib/wasm32-wasi/lib/libstd-*.rlib" libstd-rust-dev-wasm32 "Rust's std for wasm32-wasi"
  if [ -x "$RUSTC" ]; then
    check_version "$RUSTC" "$RUSTC_VERSION" "$("$RUSTC" --version)"
  fi
}

check_assemblyscript() {
  need_cmd node nodejs
  if [ ! -f "$ASC_JS" ]; then
    missing+=("AssemblyScript compiler: $ASC_JS (npm devDependency 'assemblyscript': run npm install; not a Debian package)")
  else
    check_version asc "$ASC_VERSION" "$(node "$ASC_JS" --version 2>/dev/null || true)"
  fi
}

for t in "${targets[@]}"; do
  case "$t" in
    wasi | tally-wasi) check_wasi ;;
    reliability) check_wasi; check_assemblyscript ;;
    emscripten) check_emscripten ;;
    allocators) check_wasi; check_emscripten ;;
    tally-emscripten) check_emscripten ;;
    rust) check_rust ;;
    tally-rust) check_rust; check_wasi ;;
    assemblyscript | tally-assemblyscript) check_assemblyscript ;;
  esac
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "build-fixtures: cannot build ${targets[*]}: missing" >&2
  printf '  - %s\n' "${missing[@]}" | sort -u >&2
  if [ ${#packages[@]} -gt 0 ]; then
    echo "  install with: apt-get install $(printf '%s\n' "${packages[@]}" | sort -u | tr '\n' ' ')" >&2
  fi
  exit 1
fi
if [ ${#warnings[@]} -gt 0 ]; then
  printf 'build-fixtures: warning: %s\n' "${warnings[@]}" | sort -u >&2
fi
[ "$check_only" -eq 1 ] && exit 0

mkdir -p "$OUT_DIR" "$CACHE_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd -P)"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd -P)"
OBJ="$(mktemp -d "$CACHE_DIR/obj.XXXXXX")"
trap 'rm -rf "$OBJ"' EXIT

say() { echo "build-fixtures: $*" >&2; }

# ---- C and C++ for wasm32-wasi (clang + wasi-libc + libc++) ----------------------------
# Compile with -O and -g, then link WITHOUT -O: with an -O at link time clang runs
# Binaryen's wasm-opt (when installed), which strips the name section and rewrites code.

WASI_CFLAGS=(--target=wasm32-wasi -g "-ffile-prefix-map=$SRC=." -Wall -Wextra)
WASI_CXXFLAGS=("${WASI_CFLAGS[@]}" -std=c++17 -fno-exceptions)
WRAP_FLAGS=()
for fn in malloc calloc realloc free posix_memalign aligned_alloc; do WRAP_FLAGS+=("-Wl,--wrap=$fn"); done

cc_wasi() { # opt source object
  (cd "$SRC" && "$CLANG" "${WASI_CFLAGS[@]}" "$1" -c "$2" -o "$3")
}
cxx_wasi() { # opt source object
  (cd "$SRC" && "$CLANGXX" "${WASI_CXXFLAGS[@]}" "$1" -c "$2" -o "$3")
}

build_wasi() {
  local out="$OUT_DIR/wasi"
  mkdir -p "$out"
  say "wasi: alloc_basic.wasm (-O2), alloc_basic.O0.wasm, churn.wasm, containers.wasm"
  cc_wasi -O2 c/alloc_basic.c "$OBJ/alloc_basic.o"
  cc_wasi -O0 c/alloc_basic.c "$OBJ/alloc_basic.O0.o"
  cc_wasi -O2 c/churn.c "$OBJ/churn.o"
  cxx_wasi -O2 cpp/containers.cpp "$OBJ/containers.o"
  "$CLANG" --target=wasm32-wasi -g "$OBJ/alloc_basic.o" -o "$out/alloc_basic.wasm"
  "$CLANG" --target=wasm32-wasi -g "$OBJ/alloc_basic.O0.o" -o "$out/alloc_basic.O0.wasm"
  "$CLANG" --target=wasm32-wasi -g "$OBJ/churn.o" -o "$out/churn.wasm"
  "$CLANGXX" --target=wasm32-wasi -fno-exceptions -g "$OBJ/containers.o" -o "$out/containers.wasm"
}

# The misbehaving program of test/reliability/ (double free, wild free, huge requests,
# memory.grow failure, deep recursion, a million live blocks), twice: without a memory maximum,
# and with a 16 MiB one (-Wl,--max-memory), where sbrk's memory.grow fails.
build_reliability() {
  local out="$OUT_DIR/wasi"
  mkdir -p "$out"
  say "reliability: misbehave.wasm, misbehave.max16m.wasm"
  cc_wasi -O2 c/misbehave.c "$OBJ/misbehave.o"
  "$CLANG" --target=wasm32-wasi -g "$OBJ/misbehave.o" -o "$out/misbehave.wasm"
  "$CLANG" --target=wasm32-wasi -g -Wl,--max-memory=16777216 "$OBJ/misbehave.o" -o "$out/misbehave.max16m.wasm"
  build_misbehave_as
}

# The misbehaving AssemblyScript program of test/reliability/ (abort, traps, memory.grow
# failure, deep recursion, many live objects): a WASI command on the incremental runtime,
# with a 16 MiB memory maximum and abort printing its message before it traps. Not in the
# assemblyscript target, whose outputs test/fixtures/reproducible.test.ts lists.
build_misbehave_as() {
  local out="$OUT_DIR/assemblyscript"
  mkdir -p "$out"
  say "reliability: assemblyscript/misbehave_as.wasm (+ .wasm.map)"
  (cd "$SRC" && node "$ASC_JS" assemblyscript/misbehave_as.ts --runtime incremental --debug --exportRuntime \
    --use abort=assemblyscript/misbehave_as/abortToStderr --maximumMemory 256 --sourceMap -o "$OBJ/misbehave_as.wasm")
  cp "$OBJ/misbehave_as.wasm" "$out/misbehave_as.wasm"
  cp "$OBJ/misbehave_as.wasm.map" "$out/misbehave_as.wasm.map"
}

build_tally_wasi() {
  local out="$OUT_DIR/tally/wasi"
  mkdir -p "$out"
  say "tally-wasi: alloc_basic, churn, containers with every allocator call counted"
  cc_wasi -O2 c/tally/tally.c "$OBJ/tally.o"
  cc_wasi -O2 c/alloc_basic.c "$OBJ/alloc_basic.o"
  cc_wasi -O2 c/churn.c "$OBJ/churn.o"
  cxx_wasi -O2 cpp/containers.cpp "$OBJ/containers.o"
  "$CLANG" --target=wasm32-wasi "${WRAP_FLAGS[@]}" "$OBJ/alloc_basic.o" "$OBJ/tally.o" -o "$out/alloc_basic.wasm"
  "$CLANG" --target=wasm32-wasi "${WRAP_FLAGS[@]}" "$OBJ/churn.o" "$OBJ/tally.o" -o "$out/churn.wasm"
  "$CLANGXX" --target=wasm32-wasi -fno-exceptions "${WRAP_FLAGS[@]}" "$OBJ/containers.o" "$OBJ/tally.o" \
    -o "$out/containers.wasm"
}

# ---- Emscripten 3.1.6 ------------------------------------------------------------------
# Debian's emscripten ships its system libraries prebuilt in a frozen cache under
# /usr/share/emscripten/cache. EM_CACHE points at a directory of ours whose entries link to
# those, so nothing is written to the home directory or to /usr.

emscripten_env() {
  local cache="$CACHE_DIR/emscripten-cache"
  mkdir -p "$cache"
  local entry
  for entry in sysroot sysroot_install.stamp build; do
    if [ -e "$DEBIAN_EM_CACHE/$entry" ] && [ ! -e "$cache/$entry" ]; then
      ln -s "$DEBIAN_EM_CACHE/$entry" "$cache/$entry"
    fi
  done
  export EM_CACHE="$cache"
  # emcc passes $EM_CACHE/sysroot/include as a system include directory: DWARF then names
  # it, so map it back to Debian's path (the same on every machine).
  EMCC_MAP_FLAGS=("-ffile-prefix-map=$SRC=." "-ffile-prefix-map=$cache=$DEBIAN_EM_CACHE")
  export NODE_PATH=/usr/share/nodejs
  # wasm-opt runs its function passes on every core; one core rules out any run-to-run
  # difference from thread scheduling (a CI run under heavy load once gave other bytes).
  export BINARYEN_CORES=1
  if [ -f "$DEBIAN_EM_CONFIG" ]; then export EM_CONFIG="$DEBIAN_EM_CONFIG"; fi
}

EMCC_NODE_FLAGS=(-sENVIRONMENT=node -sEXIT_RUNTIME=1 "-sEXPORTED_FUNCTIONS=_main,_malloc,_free")

emcc_in_src() {
  (cd "$SRC" && emcc "${EMCC_MAP_FLAGS[@]}" "$@")
}

build_emscripten() {
  local out="$OUT_DIR/emscripten"
  mkdir -p "$out"
  emscripten_env
  say "emscripten: alloc_basic.O2.js/.wasm, alloc_basic.O3.js/.wasm, alloc_basic.g.js/.wasm, side_alloc.wasm, unwind.js/.wasm, unwind.wasmeh.js/.wasm, misbehave.js/.wasm, callbacks.js/.wasm"
  # -O2: optimized, no name section, export names kept (3.1.6 minifies them only from
  # -O3/-Os on). -O3: also minified export names, the glue says `_malloc = asm["..."]`.
  emcc_in_src -O2 "${EMCC_NODE_FLAGS[@]}" c/alloc_basic.c -o "$out/alloc_basic.O2.js"
  emcc_in_src -O3 "${EMCC_NODE_FLAGS[@]}" c/alloc_basic.c -o "$out/alloc_basic.O3.js"
  # -g: -O0 with DWARF and names, readable glue.
  emcc_in_src -g "${EMCC_NODE_FLAGS[@]}" c/alloc_basic.c -o "$out/alloc_basic.g.js"
  # A side module: malloc and free are imports (env.malloc, env.free).
  emcc_in_src -O2 -g -sSIDE_MODULE=1 c/side_alloc.c -o "$out/side_alloc.wasm"
  # Non-local exits through traced frames (longjmp, exceptions, bad_alloc thrown from inside
  # operator new): JS-based (-fexceptions: invoke_* imports catch and return) and Wasm
  # try/catch (-fwasm-exceptions; clang 14 crashes on setjmp there, hence UNWIND_NO_LONGJMP).
  # ABORTING_MALLOC=0: a failed malloc returns NULL (so that operator new throws bad_alloc).
  emcc_in_src -O2 -g -fexceptions -sABORTING_MALLOC=0 "${EMCC_NODE_FLAGS[@]}" cpp/unwind.cpp -o "$out/unwind.js"
  emcc_in_src -O2 -g -fwasm-exceptions -DUNWIND_NO_LONGJMP -sABORTING_MALLOC=0 "${EMCC_NODE_FLAGS[@]}" cpp/unwind.cpp \
    -o "$out/unwind.wasmeh.js"
  # The misbehaving program of test/reliability/ on Emscripten's dlmalloc and JS runtime (a
  # growable memory, as most Emscripten apps have).
  emcc_in_src -O2 -g -sALLOW_MEMORY_GROWTH=1 "${EMCC_NODE_FLAGS[@]}" c/misbehave.c -o "$out/misbehave.js"
  # A C function pointer filled by JS (addFunction, which needs a growable table) that calls
  # back into the module to allocate: an indirect call through the exported table.
  emcc_in_src -O2 -g -sALLOW_TABLE_GROWTH=1 "${EMCC_NODE_FLAGS[@]}" c/callbacks.c -o "$out/callbacks.js"
}

build_tally_emscripten() {
  local out="$OUT_DIR/tally/emscripten"
  mkdir -p "$out"
  emscripten_env
  say "tally-emscripten: alloc_basic.O2.js with every allocator call counted"
  # No EXPORTED_FUNCTIONS here: an exported malloc/free cannot also be --wrap'ped.
  emcc_in_src -O2 -sENVIRONMENT=node -sEXIT_RUNTIME=1 "${WRAP_FLAGS[@]}" c/alloc_basic.c c/tally/tally.c \
    -o "$out/alloc_basic.O2.js"
}

# ---- One program, three allocators (for `wasm-tracemalloc bench`) ------------------------
# heap_phases.c as WASI commands: clang + wasi-libc (its dlmalloc), and Emscripten's standalone
# Wasm (-sSTANDALONE_WASM: a WASI command, plus the import env.emscripten_notify_memory_growth)
# with -sMALLOC=dlmalloc and -sMALLOC=emmalloc. A small initial memory (256 KiB, 64 KiB of
# stack) so that the program's 1 MiB block makes the memory grow. churn.c too, with both
# Emscripten allocators (its wasi-libc build is wasi/churn.wasm).

EMCC_STANDALONE_FLAGS=(-O2 -g -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH=1 -sTOTAL_STACK=65536 -sINITIAL_MEMORY=262144)

build_allocators() {
  mkdir -p "$OUT_DIR/wasi" "$OUT_DIR/emscripten"
  say "allocators: wasi/heap_phases.wasm, emscripten/{heap_phases,churn}.{dlmalloc,emmalloc}.wasm"
  cc_wasi -O2 c/heap_phases.c "$OBJ/heap_phases.o"
  "$CLANG" --target=wasm32-wasi -g "$OBJ/heap_phases.o" -o "$OUT_DIR/wasi/heap_phases.wasm"
  emscripten_env
  local malloc program
  for program in heap_phases churn; do
    for malloc in dlmalloc emmalloc; do
      emcc_in_src "${EMCC_STANDALONE_FLAGS[@]}" "-sMALLOC=$malloc" "c/$program.c" -o "$OUT_DIR/emscripten/$program.$malloc.wasm"
    done
  done
}

# ---- Rust (Debian's rustc 1.63 and cargo, no crates) -------------------------------------
# /usr/bin/rustc and /usr/bin/cargo explicitly: a rustup toolchain earlier in PATH has no
# wasm32-wasi std on a fresh machine. CARGO_HOME is ours too, so no ~/.cargo/config applies.

cargo_build() { # crate target-dir extra-rustflags...
  local crate="$1" target_dir="$2"
  shift 2
  local project="$SRC/rust/$crate"
  (cd "$project" &&
    CARGO_HOME="$CACHE_DIR/cargo-home" CARGO_TARGET_DIR="$target_dir" RUSTC="$RUSTC" \
      RUSTFLAGS="--remap-path-prefix=$project=rust/$crate $*" \
      "$CARGO" build --offline --locked --quiet --release --target wasm32-wasi)
}

# alloc_rust, and misbehave_rust: the misbehaving Rust program of test/reliability/ (panic,
# try_reserve and allocation failure, deep recursion, many live blocks). One target dir each:
# the two crates share no build output.
build_rust() {
  local out="$OUT_DIR/rust"
  mkdir -p "$out"
  say "rust: alloc_rust.wasm, misbehave_rust.wasm"
  local crate
  for crate in alloc_rust misbehave_rust; do
    cargo_build "$crate" "$CACHE_DIR/rust-target-$crate"
    cp "$CACHE_DIR/rust-target-$crate/wasm32-wasi/release/$crate.wasm" "$out/$crate.wasm"
  done
}

build_tally_rust() {
  local out="$OUT_DIR/tally/rust"
  mkdir -p "$out"
  say "tally-rust: alloc_rust.wasm with every allocator call counted"
  cc_wasi -O2 c/tally/tally.c "$OBJ/tally.o"
  local flags=("-C link-arg=$OBJ/tally.o")
  for fn in malloc calloc realloc free posix_memalign aligned_alloc; do flags+=("-C link-arg=--wrap=$fn"); done
  cargo_build alloc_rust "$CACHE_DIR/rust-target-tally" "${flags[*]}"
  cp "$CACHE_DIR/rust-target-tally/wasm32-wasi/release/alloc_rust.wasm" "$out/alloc_rust.wasm"
}

# ---- AssemblyScript 0.27 (npm) ----------------------------------------------------------
# Run from fixtures/src (so the repository's asconfig.json does not apply and source names
# are relative). --use abort= leaves the module with no imports at all.

ASC_FLAGS=(--runtime incremental --debug --exportRuntime --use abort=)

build_assemblyscript() {
  local out="$OUT_DIR/assemblyscript"
  mkdir -p "$out"
  say "assemblyscript: alloc_as.wasm (+ .wasm.map)"
  (cd "$SRC" && node "$ASC_JS" assemblyscript/alloc_as.ts "${ASC_FLAGS[@]}" --sourceMap -o "$OBJ/alloc_as.wasm")
  cp "$OBJ/alloc_as.wasm" "$out/alloc_as.wasm"
  cp "$OBJ/alloc_as.wasm.map" "$out/alloc_as.wasm.map"
}

build_tally_assemblyscript() {
  local out="$OUT_DIR/tally/assemblyscript"
  mkdir -p "$out"
  say "tally-assemblyscript: alloc_as.rtrace.wasm (imports rtrace.onalloc/onfree/...)"
  (cd "$SRC" &&
    node "$ASC_JS" assemblyscript/alloc_as.ts "${ASC_FLAGS[@]}" --use ASC_RTRACE=1 -o "$OBJ/alloc_as.rtrace.wasm")
  cp "$OBJ/alloc_as.rtrace.wasm" "$out/alloc_as.rtrace.wasm"
}

for t in "${targets[@]}"; do
  case "$t" in
    wasi) build_wasi ;;
    reliability) build_reliability ;;
    allocators) build_allocators ;;
    emscripten) build_emscripten ;;
    rust) build_rust ;;
    assemblyscript) build_assemblyscript ;;
    tally-wasi) build_tally_wasi ;;
    tally-emscripten) build_tally_emscripten ;;
    tally-rust) build_tally_rust ;;
    tally-assemblyscript) build_tally_assemblyscript ;;
  esac
done
say "done: ${targets[*]} -> $OUT_DIR"

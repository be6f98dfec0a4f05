#!/usr/bin/env bash
# Builds and installs the fapi C API under a prefix:
#
#   PREFIX/lib/libfapi.so.0.1.0       the shared library (SONAME libfapi.so.0.1)
#   PREFIX/lib/libfapi.so.0.1         -> libfapi.so.0.1.0 (what programs load)
#   PREFIX/lib/libfapi.so             -> libfapi.so.0.1   (what -lfapi finds)
#   PREFIX/lib/libfapi.a              the static library
#   PREFIX/include/fapi.h             the header
#   PREFIX/lib/pkgconfig/fapi.pc      pkg-config
#
# usage: bindings/c/install.sh [--profile release|dev] [--rpath] [--destdir DIR] PREFIX
#
#   --profile   the cargo profile (default release: optimised, stripped)
#   --rpath     write -Wl,-rpath,PREFIX/lib into fapi.pc's Libs, so that
#               programs linked with `pkg-config --libs fapi` find the
#               library at run time without ldconfig or LD_LIBRARY_PATH
#               (for a private prefix; under /usr/local run ldconfig instead)
#   --destdir   stage the files under DIR (packaging: DIR/PREFIX/...), the
#               .pc file still naming PREFIX
#
# The libraries are built by `cargo rustc -p fapi-ffi --lib` into
# $CARGO_TARGET_DIR (default ./target). Release libraries are stripped:
# `strip --strip-unneeded` for the .so, `--strip-debug` for the .a.
set -euo pipefail

profile=release
rpath=0
destdir=
prefix=
while [ $# -gt 0 ]; do
  case $1 in
    --profile) profile=${2:?--profile needs a value}; shift 2 ;;
    --rpath) rpath=1; shift ;;
    --destdir) destdir=${2:?--destdir needs a value}; shift 2 ;;
    -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
    -*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -z "$prefix" ] || { echo "install.sh: one PREFIX only" >&2; exit 2; }; prefix=$1; shift ;;
  esac
done
if [ -z "$prefix" ]; then
  echo "install.sh: PREFIX is required, e.g. bindings/c/install.sh /usr/local (see --help)" >&2
  exit 2
fi
case $prefix in
  /*) ;;
  *) echo "install.sh: PREFIX must be an absolute path, got '$prefix'" >&2; exit 2 ;;
esac
case $profile in
  release | dev) ;;
  *) echo "install.sh: --profile is release or dev, got '$profile'" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
dir=$target/$([ "$profile" = dev ] && echo debug || echo "$profile")
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
abi=$([ "$major" = 0 ] && echo "0.$minor" || echo "$major")

# The system libraries a static link needs, as rustc prints them when it
# links the staticlib. rustc prints them only when it builds the crate, so
# they are kept beside the library for a build that finds nothing to do.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo rustc -p fapi-ffi --lib --profile "$profile" -- --print native-static-libs 2>"$log" || {
  cat "$log" >&2
  exit 1
}
native=$(sed -n 's/.*native-static-libs: //p' "$log" | tail -1)
if [ -n "$native" ]; then
  echo "$native" >"$dir/libfapi_ffi.native-static-libs"
elif [ -f "$dir/libfapi_ffi.native-static-libs" ]; then
  native=$(cat "$dir/libfapi_ffi.native-static-libs")
else
  # Built before by another command: touch the crate once to learn them.
  touch bindings/c/src/lib.rs
  cargo rustc -p fapi-ffi --lib --profile "$profile" -- --print native-static-libs 2>"$log"
  native=$(sed -n 's/.*native-static-libs: //p' "$log" | tail -1)
  echo "$native" >"$dir/libfapi_ffi.native-static-libs"
fi

lib=$destdir$prefix/lib
inc=$destdir$prefix/include
mkdir -p "$lib/pkgconfig" "$inc"
install -m 0755 "$dir/libfapi_ffi.so" "$lib/libfapi.so.$version"
install -m 0644 "$dir/libfapi_ffi.a" "$lib/libfapi.a"
if [ "$profile" = release ]; then
  strip --strip-unneeded "$lib/libfapi.so.$version"
  strip --strip-debug "$lib/libfapi.a"
fi
ln -sfn "libfapi.so.$version" "$lib/libfapi.so.$abi"
ln -sfn "libfapi.so.$abi" "$lib/libfapi.so"
install -m 0644 bindings/c/include/fapi.h "$inc/fapi.h"
rpath_flag=
[ "$rpath" = 1 ] && rpath_flag='-Wl,-rpath,${libdir} '
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" \
  -e "s|@NATIVE_STATIC_LIBS@|$native|" -e "s|@RPATH@|$rpath_flag|" \
  bindings/c/fapi.pc.in >"$lib/pkgconfig/fapi.pc"

soname=$(readelf -d "$lib/libfapi.so.$version" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" != "libfapi.so.$abi" ]; then
  echo "install.sh: libfapi.so has SONAME '$soname', expected libfapi.so.$abi" >&2
  exit 1
fi
echo "installed fapi $version ($profile) under $destdir$prefix:"
(cd "$destdir$prefix" && ls -l lib/libfapi* include/fapi.h lib/pkgconfig/fapi.pc |
  awk '{printf "  %10s  %s %s %s\n", $5, $9, $10, $11}')
if [ "$rpath" = 0 ]; then
  echo "  run ldconfig (system prefix), or link with -Wl,-rpath,$prefix/lib (or reinstall with --rpath)"
fi

#!/usr/bin/env bash
# Installs the build in $1 to a temporary prefix, then builds and runs a
# program outside the repo against it four ways: find_package(threadlab)
# with the shared and the static library, and pkg-config plain (shared) and
# --static (in a copy of the prefix without the shared library, so that
# -lthreadlab can only mean libthreadlab.a). Each binary is checked to link
# the library it should. Usage: run.sh BUILD_DIR C_COMPILER
set -euo pipefail
build=$1 cc=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

needs_shared() { # binary: whether it loads libthreadlab.so
  readelf -d "$1" | grep -q 'NEEDED.*libthreadlab\.so'
}
expect() { # what binary: fails unless the binary links the library as said
  if [ "$1" = shared ] && ! needs_shared "$2"; then
    echo "run.sh: $2 does not load libthreadlab.so" >&2; exit 1; fi
  if [ "$1" = static ] && needs_shared "$2"; then
    echo "run.sh: $2 loads libthreadlab.so, expected the static library" >&2; exit 1; fi
  "$2"
}

cmake --install "$build" --prefix "$work/prefix" >/dev/null
libsub=
for d in lib64 lib; do
  if [ -f "$work/prefix/$d/pkgconfig/threadlab.pc" ]; then libsub=$d; break; fi
done
[ -n "$libsub" ] || { echo "run.sh: no threadlab.pc installed under lib or lib64" >&2; exit 1; }
libdir=$work/prefix/$libsub

cmake -S "$here" -B "$work/cmake-build" -DCMAKE_C_COMPILER="$cc" \
      -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
expect shared "$work/cmake-build/consumer"
expect static "$work/cmake-build/consumer_static"

export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# shellcheck disable=SC2046
"$cc" -o "$work/consumer-pc" "$here/consumer.c" $(pkg-config --cflags --libs threadlab)
LD_LIBRARY_PATH="$libdir" expect shared "$work/consumer-pc"

cp -a "$work/prefix" "$work/static-prefix"
rm -f "$work/static-prefix/$libsub"/libthreadlab.so*
export PKG_CONFIG_PATH="$work/static-prefix/$libsub/pkgconfig"
# shellcheck disable=SC2046
"$cc" -o "$work/consumer-pc-static" "$here/consumer.c" \
      $(pkg-config --cflags --static --libs threadlab)
expect static "$work/consumer-pc-static"

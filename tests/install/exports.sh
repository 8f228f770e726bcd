#!/usr/bin/env bash
# The shared library exports the public API and nothing else: every symbol
# its dynamic table defines starts with tl_, a tl__ one only if a public
# header names it (the entry points behind the macros); the known internals
# are absent, and the soname is libthreadlab.so.MAJOR.
# Usage: exports.sh LIBTHREADLAB_SO INCLUDE_DIR
set -euo pipefail
so=$1 include=$2
fail() { echo "exports.sh: $*" >&2; exit 1; }

symbols=$(nm -D --defined-only "$so" | awk '{print $NF}' | sort -u)
[ -n "$symbols" ] || fail "$so defines no dynamic symbol"
for s in $symbols; do
  case $s in
    tl__*) grep -rqw -- "$s" "$include" ||
             fail "$so exports $s, an internal no public header names" ;;
    tl_*) ;;
    *) fail "$so exports $s, which is not threadlab's public API" ;;
  esac
done
for s in tl_join tl_park tl_scope_run tl__spawn_at; do
  grep -qx -- "$s" <<<"$symbols" || fail "$so does not export $s"
done
for s in tl__join_claimed tl__list_init tl__spawn_into tl__cgroup_cpu_limit \
         tl__live_claim tl__catch_top; do
  if grep -qx -- "$s" <<<"$symbols"; then fail "$so exports internal $s"; fi
done
soname=$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ $soname =~ ^libthreadlab\.so\.[0-9]+$ ]] || fail "soname '$soname', expected libthreadlab.so.MAJOR"
echo "exports ok: $(wc -w <<<"$symbols") symbols, soname $soname"

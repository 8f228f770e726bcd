#!/usr/bin/env bash
# deps.sh: checks threadlab's build, test and plot dependencies and installs
# what is missing when it may (root, or sudo without a password), with apt
# or dnf. Otherwise it prints the exact command to run and exits 1.
#
#   scripts/deps.sh [--check] [--cc COMPILER]
#     --check      only check; never install
#     --cc NAME    also check for this compiler (clang brings LLVM's libomp)
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
check_only=0
cc=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check_only=1 ;;
    --cc) [ $# -ge 2 ] || { echo "deps.sh: --cc needs a compiler name, e.g. --cc clang" >&2; exit 2; }
          cc="$2"; shift ;;
    --cc=*) cc="${1#--cc=}" ;;
    -h|--help) usage; exit 0 ;;
    *) echo "deps.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# What we need, as "check|apt package|dnf package". A check is a command name
# or pkg:<pkg-config module> or file:<path glob>.
needs=(
  "cmake|cmake|cmake"
  "make|make|make"
  "gcc|gcc|gcc"
  "pkg-config|pkg-config|pkgconf-pkg-config"
  "pkg:hwloc|libhwloc-dev|hwloc-devel"
  "lstopo-no-graphics|hwloc|hwloc"
  "pkg:glib-2.0|libglib2.0-dev|glib2-devel"
  "gnuplot|gnuplot-nox|gnuplot"
  "python3|python3|python3"
)
case "$(basename "${cc:-gcc}")" in
  clang*) needs+=("${cc}|clang|clang"
                  "file:/usr/lib/llvm-*/lib/libomp.so|libomp-dev|libomp-devel"
                  "file:/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.tsan*|libclang-rt-dev|compiler-rt") ;;
  gcc*|cc|"") ;;
  *) needs+=("${cc}|${cc}|${cc}") ;;
esac

have() {
  case "$1" in
    pkg:*) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "${1#pkg:}" ;;
    file:*) compgen -G "${1#file:}" >/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing_apt=() missing_dnf=()
for entry in "${needs[@]}"; do
  IFS='|' read -r check apt dnf <<<"$entry"
  if ! have "$check"; then
    missing_apt+=("$apt"); missing_dnf+=("$dnf")
  fi
done
[ ${#missing_apt[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  pm=apt; pkgs=("${missing_apt[@]}")
  cmd="apt-get update && apt-get install -y --no-install-recommends ${pkgs[*]}"
elif command -v dnf >/dev/null 2>&1; then
  pm=dnf; pkgs=("${missing_dnf[@]}")
  cmd="dnf install -y ${pkgs[*]}"
else
  echo "deps.sh: missing: ${missing_apt[*]} (Debian names); install them with your package manager" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  sudo=none
fi
if [ "$check_only" = 1 ] || [ "${sudo[*]}" = none ]; then
  echo "deps.sh: missing packages: ${pkgs[*]}" >&2
  echo "deps.sh: install them with:  sudo sh -c '$cmd'" >&2
  exit 1
fi

echo "deps.sh: installing ${pkgs[*]} with $pm" >&2
if [ "$pm" = apt ]; then
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
else
  "${sudo[@]}" dnf install -y -q "${pkgs[@]}"
fi
echo "deps.sh: done" >&2

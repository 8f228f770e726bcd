#!/usr/bin/env bash
# deps.sh: checks threadlab's build, test and plot dependencies and installs
# what is missing when it may (root, or sudo without a password), with apt
# or dnf. Otherwise it prints the exact command to run and exits 1.
#
# Optional parts (oneTBB, libuv, rustc: benches that compare against them)
# are installed the same way when they can be; when they cannot, one line
# says which part is skipped, and the build leaves those series out.
#
#   scripts/deps.sh [--check] [--cc COMPILER] [--no-optional]
#     --check        only check; never install
#     --cc NAME      also check for this compiler (clang brings LLVM's libomp)
#     --no-optional  neither check nor install the optional parts
set -euo pipefail

usage() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; }
check_only=0
optional=1
cc=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check_only=1 ;;
    --cc) [ $# -ge 2 ] || { echo "deps.sh: --cc needs a compiler name, e.g. --cc clang" >&2; exit 2; }
          cc="$2"; shift ;;
    --cc=*) cc="${1#--cc=}" ;;
    --no-optional) optional=0 ;;
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

# Optional: "check|apt package|dnf package|what is left out without it".
optional_needs=(
  "pkg:tbb|libtbb-dev|tbb-devel|oneTBB's work-stealing series"
  "pkg:libuv|libuv1-dev|libuv-devel|the libuv event-loop series"
  "rustc|rustc|rust|the Rust std::thread series"
  "file:/usr/lib/llvm-*/lib/libomp.so|clang libomp-dev|clang libomp-devel|fork_join's LLVM libomp baseline"
)

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
optional_apt=() optional_dnf=() optional_what=()
if [ "$optional" = 1 ]; then
  for entry in "${optional_needs[@]}"; do
    IFS='|' read -r check apt dnf what <<<"$entry"
    if ! have "$check"; then
      optional_apt+=("$apt"); optional_dnf+=("$dnf"); optional_what+=("$what")
    fi
  done
fi
# Each optional part still missing when this ends: one line, no failure.
skip_optional() {
  [ "$optional" = 1 ] || return 0
  for entry in "${optional_needs[@]}"; do
    IFS='|' read -r check apt _ what <<<"$entry"
    have "$check" || echo "deps.sh: optional $apt is not installed: $what skipped" >&2
  done
}
trap skip_optional EXIT
[ ${#missing_apt[@]} -eq 0 ] && [ ${#optional_apt[@]} -eq 0 ] && exit 0

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
if [ ${#pkgs[@]} -gt 0 ] && { [ "$check_only" = 1 ] || [ "${sudo[*]}" = none ]; }; then
  echo "deps.sh: missing packages: ${pkgs[*]}" >&2
  echo "deps.sh: install them with:  sudo sh -c '$cmd'" >&2
  exit 1
fi
[ "$check_only" = 0 ] && [ "${sudo[*]}" != none ] || exit 0

install() { # the packages "$@", quietly; returns apt's or dnf's status
  if [ "$pm" = apt ]; then
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    "${sudo[@]}" dnf install -y -q "$@"
  fi
}
[ "$pm" = apt ] && { "${sudo[@]}" apt-get update -qq || true; }
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "deps.sh: installing ${pkgs[*]} with $pm" >&2
  install "${pkgs[@]}" || { echo "deps.sh: $pm could not install ${pkgs[*]}" >&2; exit 1; }
fi
# One at a time: a package this distribution lacks must not stop the others.
if [ "$pm" = apt ]; then opt=("${optional_apt[@]}"); else opt=("${optional_dnf[@]}"); fi
for p in ${opt[@]+"${opt[@]}"}; do
  echo "deps.sh: installing the optional $p with $pm" >&2
  install $p 2>/dev/null || true # unquoted: an entry may name two packages
done
echo "deps.sh: done" >&2

# lib.sh: what the plot, report, compare and pipeline tests share. Sourced
# by each as: . lib.sh SOURCE_DIR SCRATCH_DIR; they then use $src (the
# project), $scratch (emptied), $fixtures, and the checks below, and end
# with `finish`.
set -u
src=$(cd "$1" && pwd)
scratch=$2
fixtures="$src/tests/fixtures/results"
scripts="$src/scripts"
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
failures=0
export PYTHONDONTWRITEBYTECODE=1
# The benches to ask for their descriptions (the fixtures have none).
export TL_BUILD=${3:-}

if ! command -v gnuplot >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
  echo "gnuplot or python3 is not installed (scripts/deps.sh installs them): skipped"
  exit 77
fi
if [ ! -x "${TL_BUILD:-build/default}/benches/spawn_cost" ]; then
  echo "no built benches in ${TL_BUILD:-build/default} to describe the fixtures' CSVs: skipped"
  exit 77
fi

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A PNG and an SVG, both non-empty and what they claim to be.
image_ok() {
  local base=$1
  [ -s "$base.png" ] && [ "$(head -c 4 "$base.png" | tail -c 3)" = PNG ] ||
    fail "$base.png is missing, empty or not a PNG"
  [ -s "$base.svg" ] && grep -q "<svg" "$base.svg" || fail "$base.svg is missing, empty or not an SVG"
}

no_image() {
  local base=$1
  [ ! -e "$base.png" ] && [ ! -e "$base.svg" ] || fail "$base.png/svg was left behind"
  ! ls "$base".*.partial >/dev/null 2>&1 || fail "$base.*.partial was left behind"
}

# Every local link target of a Markdown file ([..](x) and ![..](x)) exists.
links_exist() {
  local md=$1 dir target
  dir=$(dirname "$md")
  while IFS= read -r target; do
    case "$target" in http*|\#*) continue ;; esac
    [ -e "$dir/$target" ] || fail "$md links $target, which does not exist"
  done < <(grep -o '](\([^)]*\))' "$md" | sed 's/^](\(.*\))$/\1/')
}

# A run that must fail: exit status $1, one line on stderr containing $2.
fails_with() {
  local want_status=$1 want_text=$2 status
  shift 2
  "$@" >"$scratch/out" 2>"$scratch/err"
  status=$?
  [ "$status" -eq "$want_status" ] || fail "$*: exit $status, not $want_status"
  grep -q -- "$want_text" "$scratch/err" || fail "$*: stderr does not say '$want_text': $(cat "$scratch/err")"
}

finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
  fi
  echo "all checks passed"
  exit 0
}

# Shared by the CLI test scripts (sourced): checks a bench's usage errors.
# The script is called as SCRIPT BENCH_BINARY SCRATCH_DIR; this sets bench
# (the binary), scratch (the folder, emptied) and name (the bench's name).
bench=$1
scratch=$2
name=$(basename "$bench")
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# refused FLAG-NAMED-IN-MESSAGE ARGS...: the run must be a usage error: exit
# 2, one line naming the flag then the usage hint (which points to --help)
# on stderr, nothing on stdout, no output folder made.
refused() {
  flag=$1; shift
  "$bench" --out "$scratch/out" "$@" >"$scratch/stdout" 2>"$scratch/stderr"
  status=$?
  first=$(head -n 1 "$scratch/stderr")
  hint=$(sed -n 2p "$scratch/stderr")
  lines=$(wc -l <"$scratch/stderr")
  [ "$status" -eq 2 ] || fail "$*: exit $status, not 2"
  [ "$lines" -eq 2 ] || fail "$*: $lines lines on stderr, not the message and the hint"
  case "$first" in
    "$name: "*"$flag"*) ;;
    *) fail "$*: the message does not name $flag: $first" ;;
  esac
  case "$hint" in
    *--help*) ;;
    *) fail "$*: the second line is not the usage hint: $hint" ;;
  esac
  [ ! -s "$scratch/stdout" ] || fail "$*: wrote to stdout"
  if [ -e "$scratch/out" ]; then
    fail "$*: created the output folder"
    rm -rf "$scratch/out" # not to blame the next case for it
  fi
}

# documented FLAG: --help (saved in $scratch/help) mentions it.
documented() {
  grep -q -- "$1" "$scratch/help" || fail "--help does not document $1"
}

# Ends the script: ok, or the count of failures.
finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
  fi
  echo ok
  exit 0
}

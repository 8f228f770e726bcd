# Shared by the CLI test scripts (sourced): checks a bench's usage errors.
# The script sets bench (the binary), scratch (an empty folder) and name
# (the bench's name) first.
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# refused FLAG-NAMED-IN-MESSAGE ARGS...: the run must be a usage error: exit
# 2, one line naming the flag then the usage hint on stderr, nothing on
# stdout, no output folder made.
refused() {
  flag=$1; shift
  "$bench" --out "$scratch/out" "$@" >"$scratch/stdout" 2>"$scratch/stderr"
  status=$?
  first=$(head -n 1 "$scratch/stderr")
  lines=$(wc -l <"$scratch/stderr")
  [ "$status" -eq 2 ] || fail "$*: exit $status, not 2"
  [ "$lines" -eq 2 ] || fail "$*: $lines lines on stderr, not the message and the hint"
  case "$first" in
    "$name: "*"$flag"*) ;;
    *) fail "$*: the message does not name $flag: $first" ;;
  esac
  [ ! -s "$scratch/stdout" ] || fail "$*: wrote to stdout"
  [ ! -e "$scratch/out" ] || fail "$*: created the output folder"
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

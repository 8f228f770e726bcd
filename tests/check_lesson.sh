#!/usr/bin/env bash
# check_lesson.sh: runs one lesson and checks that it says what its lesson
# text promises.
#
#   tests/check_lesson.sh LESSON_PROGRAM EXPECT_FILE
#
# The expectation file has one check a line; blank lines and lines starting
# with '#' are skipped. REGEX is an extended regular expression (grep -E)
# matched against each line of the output, stdout and stderr together:
#   REGEX             some line matches
#   !REGEX            no line matches
#   @count N REGEX    exactly N lines match
#   @last REGEX       the last line of stdout matches (stdout alone: its
#                     order is the program's; stderr's lines may come first)
#   @exit N           the exit status is N (default 0)
#   @env NAME=VALUE   run the lesson with NAME=VALUE in its environment; for
#                     sanitizer *_OPTIONS variables, VALUE is added to the
#                     flags already set
# Checked for every lesson as well: --help exits 0 and says something, an
# unknown argument exits 2, and the output holds no sanitizer report.
set -u

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -r "$2" ]; then
  echo "usage: $0 LESSON_PROGRAM EXPECT_FILE (an executable and a readable file)" >&2
  exit 2
fi
program=$1
expect=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

count_matching() { # REGEX FILE: how many lines of FILE match
  grep -E -c -e "$1" "$2"
}

# ---- --help and a bad argument ----------------------------------------------
"$program" --help >"$work/help" 2>&1
status=$?
[ $status -eq 0 ] || fail "--help exited $status, not 0"
[ -s "$work/help" ] || fail "--help printed nothing"
"$program" --no-such-flag >"$work/bad" 2>&1
status=$?
[ $status -eq 2 ] || fail "an unknown argument exited $status, not 2"

# ---- the run ------------------------------------------------------------------
want_exit=0
while IFS= read -r line; do
  case "$line" in
    @exit\ *) want_exit=${line#@exit } ;;
    @env\ *)
      assignment=${line#@env }
      name=${assignment%%=*}
      value=${assignment#*=}
      if [[ $name == *_OPTIONS && -n ${!name:-} ]]; then
        export "$name=${!name} $value"
      else
        export "$name=$value"
      fi
      ;;
  esac
done <"$expect"

"$program" >"$work/stdout" 2>"$work/stderr"
status=$?
cat "$work/stdout" "$work/stderr" >"$work/all"
[ "$status" -eq "$want_exit" ] || fail "exit status $status, expected $want_exit"

while IFS= read -r line; do
  case "$line" in
    '' | '#'* | @exit\ * | @env\ *) ;;
    @count\ *)
      rest=${line#@count }
      n=${rest%% *}
      regex=${rest#* }
      got=$(count_matching "$regex" "$work/all")
      [ "$got" -eq "$n" ] || fail "$got lines match /$regex/, expected $n"
      ;;
    @last\ *)
      regex=${line#@last }
      tail -n 1 "$work/stdout" | grep -E -q -e "$regex" ||
        fail "the last line of stdout does not match /$regex/"
      ;;
    '!'*)
      regex=${line#!}
      [ "$(count_matching "$regex" "$work/all")" -eq 0 ] ||
        fail "a line matches /$regex/, and none should"
      ;;
    @*) fail "$expect: unknown directive: $line" ;;
    *)
      [ "$(count_matching "$line" "$work/all")" -gt 0 ] ||
        fail "no line matches /$line/"
      ;;
  esac
done <"$expect"

if grep -E -q 'Sanitizer|runtime error:' "$work/all"; then
  fail "the output holds a sanitizer report"
fi

if [ $failures -gt 0 ]; then
  echo "---- $(basename "$program") exited $status; stdout:"
  cat "$work/stdout"
  echo "---- stderr:"
  cat "$work/stderr"
  exit 1
fi
echo "ok: $(basename "$program") says what $(basename "$expect") expects"

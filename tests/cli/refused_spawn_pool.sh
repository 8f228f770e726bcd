#!/bin/sh
# spawn_cost and pool_vs_raw when the OS refuses threads (issue 15): each
# runs --quick as an unprivileged user (nobody) under a small RLIMIT_NPROC
# and must skip the cases it cannot get threads for, with a line naming
# them, and go on: exit 0, or 1 only when nothing at all was measured;
# never SIGABRT (tl_spawn aborts when refused, so the bench may call it
# only after a probe), never libgomp's exit (OpenMP likewise), never a hang.
# Skipped (77) when this cannot drop root: a normal user's own limit would
# count every process of that user.
#
#   refused_spawn_pool.sh SPAWN_COST POOL_VS_RAW SCRATCH_DIR [--no-peers]
# --no-peers (ThreadSanitizer, which cannot see inside OpenMP and GLib):
# the benches run with --no-openmp (and --no-glib).
set -u
spawn_cost=$1 pool_vs_raw=$2 scratch=$3 spawn_flags="" pool_flags=""
if [ "${4:-}" = --no-peers ]; then
  spawn_flags=--no-openmp pool_flags="--no-openmp --no-glib"
fi
[ "$(id -u)" = 0 ] || { echo "not root: cannot drop to nobody (skipped)"; exit 77; }
command -v setpriv >/dev/null && command -v prlimit >/dev/null ||
  { echo "setpriv or prlimit missing (skipped)"; exit 77; }
rm -rf "$scratch" && mkdir -p "$scratch" && chmod 777 "$scratch" || exit 1
setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null ||
  { echo "cannot drop to nobody here (skipped)"; exit 77; }
status=0

# run NAME NPROC SKIPPED_REGEX BENCH ARGS...: exit 0, or 1 saying nothing
# was measured (every such test runs as nobody, and another one running at
# the same time, from another build, counts against the same limit: then
# more is refused, never less).
run() {
  name=$1 nproc=$2 expect="0|1" skipped=$3 bench=$4
  shift 4
  out="$scratch/$name"
  # timeout forks as root, outside the limit; setpriv and prlimit exec.
  timeout 120 setpriv --reuid=65534 --regid=65534 --clear-groups \
    prlimit --nproc="$nproc" -- "$bench" --quick --quiet --reps 2 \
    --min-time 0.001 --out "$out" "$@" >"$scratch/$name.stdout" 2>"$scratch/$name.stderr"
  rc=$?
  case "|$expect|" in
    *"|$rc|"*) ;;
    *) echo "FAIL $name: exit $rc (expected $expect; 124 = timed out, 134 = SIGABRT)"
       sed 's/^/  /' "$scratch/$name.stderr" | tail -20; status=1; return ;;
  esac
  if [ "$rc" = 1 ] && ! grep -q "nothing was measured" "$scratch/$name.stderr"; then
    echo "FAIL $name: exit 1 although something was measured"
    sed 's/^/  /' "$scratch/$name.stderr" | tail -20
    status=1
    return
  fi
  if ! grep -Eq "skipped .*($skipped).*the OS refused" "$scratch/$name.stderr"; then
    echo "FAIL $name: no 'skipped ... $skipped ...: the OS refused' line"
    sed 's/^/  /' "$scratch/$name.stderr" | tail -20
    status=1
    return
  fi
  echo "ok $name: exit $rc, $(grep -c 'skipped' "$scratch/$name.stderr") skipped line(s)"
}

# 8 tasks: create_join's one thread and T = 1, 2 fit; 64 threads do not.
run spawn_cost 8 "threads=64" "$spawn_cost" --threads 1,2,64 $spawn_flags
# A pool of 16 workers cannot start: every section is refused.
run pool_vs_raw_pool 8 "a pool of 16 workers" "$pool_vs_raw" --threads 16 $pool_flags
# Wider than the limit, with the pool's 2 workers alive: GLib's pool and the
# OpenMP team (behind its probe) are refused, the pool's batch is measured.
# Not without both peers (ThreadSanitizer): nothing is refused then.
if [ -n "$pool_flags" ]; then
  echo "pool_vs_raw_batch: left out without OpenMP and GLib"
else
  run pool_vs_raw_batch 4 "batch|a pool of 2 workers" "$pool_vs_raw" --section batch --threads 2
fi
exit $status

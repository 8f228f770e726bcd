#!/usr/bin/env python3
"""replace_dir.py: puts a finished folder in place of another in one step,
and tidies up after runs that were killed.

  scripts/replace_dir.py NEW DEST    NEW takes DEST's place
  scripts/replace_dir.py --clean ROOT
                                     remove what killed runs left in ROOT

Replacing: when DEST exists, NEW and DEST are exchanged by one
renameat2(RENAME_EXCHANGE), so DEST's name holds the old results up to the
instant it holds the new ones, never nothing; the old folder, now under
NEW's name, is then removed. A kill after the exchange leaves that
temporary folder behind, which --clean removes. Where the filesystem cannot
exchange (EINVAL, ENOSYS: some network filesystems), DEST is renamed aside
to a ".aside-<pid>-<name>-..." folder first; a kill between the two
renames then leaves no DEST, and --clean puts the old folder back. Both
folders must be in one filesystem (renames, not copies).

Cleaning: every temporary folder of ROOT whose run is over is removed:
".tmp-<pid>-<name>-..." (a run's folder: bench.sh, compare.sh) and
".aside-<pid>-<name>-..." once process <pid> is gone, and the folders of
the older scripts, which carried no pid (".tmp-<name>-..."). An old results
folder that an interrupted replace set aside is put back instead when its
name is free. Each action is said in one line on stderr.

Exit status: 0, 1 when a rename fails (DEST is then as it was), 2 for a
usage error. TL_REPLACE_NO_EXCHANGE=1 takes the fallback path and
TL_REPLACE_KILL_AT=aside|exchanged kills the process at that point: both
for the tests.
"""
import ctypes
import errno
import os
import re
import shutil
import signal
import sys
import tempfile

RENAME_EXCHANGE = 2
AT_FDCWD = -100
# .tmp-<pid>-<name>-<random>: a run's folder; .aside-<pid>-<name>-<random>:
# a results folder set aside by the fallback replace. The pid comes first
# and the random part (mkdtemp's, mktemp's) has no '-', so any machine name
# parses back. The older scripts made .tmp-<name>-<random> and
# .tmp-<name>-old-<random>/<name>.
TEMP_NAME = re.compile(r"^\.(?P<kind>tmp|aside)-(?P<pid>[0-9]+)-(?P<name>.+)-[A-Za-z0-9_]{6,}$")
LEGACY_ASIDE = re.compile(r"^\.tmp-(?P<name>.+)-old-[A-Za-z0-9_]{6,}$")


def say(message):
    print(f"replace_dir: {message}", file=sys.stderr)


def kill_point(where):
    """For the tests: die here as a SIGKILL would (no cleanup of any kind)."""
    if os.environ.get("TL_REPLACE_KILL_AT") == where:
        os.kill(os.getpid(), signal.SIGKILL)


def exchange(a, b):
    """Swaps the names a and b atomically; returns 0 or the errno."""
    if os.environ.get("TL_REPLACE_NO_EXCHANGE") == "1":
        return errno.EINVAL
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return errno.ENOSYS
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return 0
    return ctypes.get_errno()


def aside_name(dest):
    """A fresh name beside dest that --clean can attribute to this process."""
    prefix = f".aside-{os.getpid()}-{os.path.basename(dest)}-"
    path = tempfile.mkdtemp(prefix=prefix, dir=os.path.dirname(dest) or ".")
    os.rmdir(path)
    return path


def replace(new, dest):
    if not os.path.exists(dest):
        os.rename(new, dest)
        return
    err = exchange(new, dest)
    if err == 0:
        kill_point("exchanged")
        shutil.rmtree(new)  # the old results, under new's name now
        return
    if err not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        raise OSError(err, os.strerror(err), dest)
    aside = aside_name(dest)
    os.rename(dest, aside)
    kill_point("aside")
    try:
        os.rename(new, dest)
    except OSError:
        os.rename(aside, dest)
        raise
    shutil.rmtree(aside)


def run_is_over(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def put_back(aside, dest):
    """An interrupted replace set dest's old folder aside: rename it back
    when dest is missing. Returns whether it did."""
    if os.path.lexists(dest) or not os.path.isdir(aside):
        return False
    os.rename(aside, dest)
    say(f"{dest} was set aside by a replace that was killed: put back")
    return True


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.remove(path)
    say(f"removed {path}, left by a run that was stopped")


def clean(root):
    try:
        entries = sorted(os.listdir(root))
    except FileNotFoundError:
        return
    for entry in entries:
        path = os.path.join(root, entry)
        match = TEMP_NAME.match(entry)
        if match:
            if not run_is_over(int(match["pid"])):
                continue  # a run still going
            dest = os.path.join(root, match["name"])
            if match["kind"] == "aside" and put_back(path, dest):
                continue
            remove(path)
        elif entry.startswith(".tmp-"):
            legacy = LEGACY_ASIDE.match(entry)
            if legacy and put_back(os.path.join(path, legacy["name"]),
                                   os.path.join(root, legacy["name"])):
                pass
            remove(path)


def usage_error(message):
    say(f"{message} (try --help)")
    sys.exit(2)


def main(argv):
    if argv[:1] in (["--help"], ["-h"]):
        print(__doc__.strip())
        return 0
    try:
        if argv[:1] == ["--clean"]:
            if len(argv) != 2:
                usage_error("--clean takes one folder")
            clean(argv[1])
            return 0
        if len(argv) != 2:
            usage_error("give NEW and DEST")
        new, dest = argv[0], argv[1].rstrip("/") or "/"
        if not os.path.isdir(new):
            say(f"{new}: no such folder")
            return 1
        # Signals wait until the renames are done: the caller's trap decides.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        replace(new, dest)
    except OSError as e:
        say(f"{e.filename or ''}: {e.strerror}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""same_machine.py: are two results folders' machine cards the same machine?

usage: same_machine.py COMMITTED/meta.json NEW/meta.json

Compares their "fingerprint" (CPU model, vendor family.model.stepping, last-level
caches, usable and whole-machine PUs, cores, packages: what meta.json's card
records and no run changes). Exit 0 when equal; otherwise one line on stderr
saying what differs, exit 1. bench.sh asks it before it replaces a committed
results folder.
"""
import json
import sys


def fingerprint(path):
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        return None, "cannot be read (%s)" % e
    value = meta.get("fingerprint") if isinstance(meta, dict) else None
    if not isinstance(value, str) or not value:
        return None, "has no fingerprint (made by an older threadlab)"
    return value, None


def main(argv):
    if len(argv) != 2:
        print("same_machine.py: give the committed and the new meta.json", file=sys.stderr)
        return 2
    (old, old_why), (new, new_why) = fingerprint(argv[0]), fingerprint(argv[1])
    if new is None:
        print("bench.sh: %s %s" % (argv[1], new_why), file=sys.stderr)
        return 1
    if old == new:
        return 0
    folder = argv[0].rsplit("/meta.json", 1)[0]
    why = old_why if old is None else "was recorded on another machine (%s; this one is %s)" % (old, new)
    print("bench.sh: %s %s" % (folder if old is not None else argv[0], why), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""check_links.py: every relative link of the project's Markdown files
(README.md, examples/, benches/, lib/, results/README.md, the docs) points at
a file or folder that is in the tree: a lesson's chart link breaks when the
reference machine's results folder is renamed, and this says so.

usage: check_links.py SOURCE_DIR

Prints each broken link as FILE:LINE: TARGET and exits 1 when there is one,
2 on bad input. Links to the web (scheme://), to anchors only (#...) and to
results/<machine>/ placeholders are not checked; a results folder's own
report (results/<machine>/README.md) is left out: its links are checked when
it is written.
"""
import os
import re
import sys

LINK = re.compile(r"\]\(([^)\s]+)\)")


def markdown_files(top):
    for base, dirs, files in os.walk(top):
        rel = os.path.relpath(base, top)
        parts = rel.split(os.sep)
        dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
        if parts[0] == "results" and len(parts) > 1:
            continue  # a machine's report: written and checked by report.py
        if parts[0] in ("build",) or "scratch" in parts:
            continue
        for f in files:
            if f.endswith(".md"):
                yield os.path.join(base, f)


def broken(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            for target in LINK.findall(line):
                if "://" in target or target.startswith(("#", "mailto:")) or "<" in target:
                    continue
                file_part = target.split("#", 1)[0]
                if file_part and not os.path.exists(os.path.join(os.path.dirname(path), file_part)):
                    yield n, target


def main(argv):
    if len(argv) != 1 or not os.path.isdir(argv[0]):
        print("check_links.py: give the source folder, e.g. check_links.py .", file=sys.stderr)
        return 2
    bad = 0
    for path in sorted(markdown_files(argv[0])):
        for n, target in broken(path):
            print("%s:%d: %s: no such file" % (os.path.relpath(path, argv[0]), n, target))
            bad += 1
    print("check_links.py: %d broken link%s" % (bad, "" if bad == 1 else "s"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

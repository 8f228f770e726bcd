#!/usr/bin/env python3
"""check_bench_csv.py for the IO benches (io_concurrency, million): the same
checks, with these benches' schemas (their columns, as benches/README.md
lists them) added to the checker's table. Same arguments as
check_bench_csv.py."""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_bench_csv  # noqa: E402

check_bench_csv.SCHEMAS.setdefault("io_concurrency", {
    "columns": ["section", "strategy", "connections", "metric"],
})
check_bench_csv.SCHEMAS.setdefault("million", {
    "columns": ["section", "strategy", "count", "metric", "result"],
})

if __name__ == "__main__":
    sys.exit(check_bench_csv.main())

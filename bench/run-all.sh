#!/usr/bin/env bash
# Every timing benchmark of docs/performance.md, one after the other, with their default sizes.
# Run on an otherwise idle machine from the repository root, in the development venv:
#   bash bench/run-all.sh 2>&1 | tee bench-results.txt
# Takes about 15 minutes on 2 cores (the fresh venvs of bench_startup need PyPI or a pip cache).
set -euo pipefail
cd "$(dirname "$0")/.."
for bench in \
    "bench_startup.py --runs 11" \
    "bench_contract.py" \
    "bench_verify.py" \
    "bench_simulator.py" \
    "bench_scrub.py" \
    "bench_tls.py"; do
    echo "=== python bench/$bench"
    # shellcheck disable=SC2086 # the arguments are meant to split
    python bench/$bench
    echo
done

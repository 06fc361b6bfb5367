#!/bin/sh
# nsplan's fixed cost against the floor, before/after: bench/fixed_cost.sh [ROUNDS] NSPLAN...
#
# In the benchmarks' sandbox (sandbox.sh: private mount and network namespaces, a tmpfs on /run),
# builds bench/floor/lab_floor.c and times, interleaved round by round, each given nsplan
# binary (run from copies made beside the first, in turn, as the floor is) with `--version`,
# `plan`, `apply`, `status` and `destroy` of profiles/lab.yaml, and the floor's start (no
# argument), `setup` and `teardown`. Prints medians of wall (spawn to exit), CPU and minor page
# faults, and the ratios to the floor (docs/performance.md, issue 14).
# lab.yaml has no cgroup section: no cgroup is touched. Needs root, python3, cc.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rounds=40
case "${1:-}" in [0-9]*) rounds=$1; shift ;; esac
[ $# -gt 0 ] || { echo "usage: bench/fixed_cost.sh [ROUNDS] NSPLAN..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/fixed_cost.sh: needs root" >&2; exit 2; }
exec sh "$here/sandbox.sh" --floor \
  python3 -B "$here/fixed_cost.py" "$rounds" "$(dirname "$here")/profiles/lab.yaml" "$@"

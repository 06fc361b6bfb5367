#!/bin/sh
# nsplan's fixed cost against the floor, before/after: bench/fixed_cost.sh [ROUNDS] NSPLAN...
#
# In a sandbox as run.sh's (private mount and network namespaces, a tmpfs on /run, lo up),
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
exec unshare --mount --net --propagation private sh -c '
  set -e
  mount -t tmpfs -o mode=0755 nsplan-t-run /run
  ip link set lo up
  cc -O2 -static -o /run/lab_floor "$1/floor/lab_floor.c"
  shift
  exec python3 -B "$0" "$@"
' "$here/fixed_cost.py" "$here" "$rounds" "$(dirname "$here")/profiles/lab.yaml" "$@"

#!/bin/sh
# Where apply's CPU time goes, by kind, against the floor: bench/time_split.sh [ROUNDS] [NSPLAN]
#
# In the benchmarks' sandbox (sandbox.sh), ROUNDS times (default 30), alternated: the floor's
# `setup`, then `nsplan apply profiles/lab.yaml`, each twice: once timed by its rusage, once
# under `perf record` sampling CPU time every 100 µs with the kernel's call chains (each run then
# torn down, not measured). Each sample is put in one kind: user space, page fault, exec, or the
# system call it lies in (by name). Prints each kind's CPU time per run (its share of the samples
# times the unsampled median, as sampling costs time itself), nsplan's and the floor's, and each
# as a share of the floor's whole setup, so that what a ratio target leaves to each kind can be
# read off (docs/performance.md, issue 14). Both programs run from copies beside NSPLAN
# (default build/nsplan). Needs root, perf (linux-perf), python3, cc.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rounds=30
case "${1:-}" in [0-9]*) rounds=$1; shift ;; esac
nsplan=${1:-$(dirname "$here")/build/nsplan}
[ "$(id -u)" = 0 ] || { echo "bench/time_split.sh: needs root" >&2; exit 2; }
command -v perf >/dev/null || { echo "bench/time_split.sh: needs perf (apt-get install linux-perf)" >&2; exit 2; }
[ -x "$nsplan" ] || { echo "bench/time_split.sh: no nsplan at $nsplan" >&2; exit 2; }
exec sh "$here/sandbox.sh" --floor \
  python3 -B "$here/time_split.py" "$rounds" "$(dirname "$here")/profiles/lab.yaml" "$nsplan"

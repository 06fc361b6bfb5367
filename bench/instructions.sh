#!/bin/sh
# nsplan's user-space instructions, by phase, against the floor: bench/instructions.sh NSPLAN...
#
# Counts with valgrind's callgrind (not a timer): the count does not move with the machine's load
# or with where a binary's page cache lies, so a cut of 1% shows where fixed_cost.sh's medians
# cannot (docs/performance.md, issue 14). In the benchmarks' sandbox (sandbox.sh: private mount and
# network namespaces, a tmpfs on /run), for each nsplan: `--version`, `plan` and `apply` of
# profiles/lab.yaml (then `destroy`, not counted); apply split into its phases. The floor: its
# start (no argument) and `setup`. Kernel time is not counted. Needs root, valgrind, python3, cc, objcopy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || { echo "usage: bench/instructions.sh NSPLAN..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/instructions.sh: needs root" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "bench/instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
exec sh "$here/sandbox.sh" --floor \
  python3 -B "$here/instructions.py" "$(dirname "$here")/profiles/lab.yaml" /run/lab_floor "$@"

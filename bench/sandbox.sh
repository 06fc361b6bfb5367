#!/bin/sh
# The benchmarks' sandbox: bench/sandbox.sh [--floor] COMMAND [ARG...]
#
# Runs COMMAND in new private mount and network namespaces, with a fresh tmpfs on /run (so
# /run/netns and /run/nsplan are the sandbox's) and lo up. The namespaces, links and state that
# nsplan makes there go with the sandbox when COMMAND exits. Cgroups are global: they are the
# caller's to clean (run.sh's trap). --floor first builds bench/floor/lab_floor.c into
# /run/lab_floor. Used by every benchmark here, so that they all measure in the same place.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
floor=
if [ "${1:-}" = --floor ]; then floor=$here/floor/lab_floor.c; shift; fi
[ $# -gt 0 ] || { echo "usage: bench/sandbox.sh [--floor] COMMAND [ARG...]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/sandbox.sh: needs root (namespaces)" >&2; exit 2; }
command -v unshare >/dev/null || { echo "bench/sandbox.sh: needs unshare (util-linux)" >&2; exit 2; }
exec unshare --mount --net --propagation private sh -c '
  set -e
  mount -t tmpfs -o mode=0755 nsplan-t-run /run
  ip link set lo up
  if [ -n "$1" ]; then cc -O2 -static -o /run/lab_floor "$1"; fi
  shift
  exec "$@"
' sh "$floor" "$@"

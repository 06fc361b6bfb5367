#!/bin/sh
# nsplan benchmark entry point: bench/run.sh [--quick] [bench.py options]
#
# Runs bench/bench.py inside the benchmarks' sandbox (sandbox.sh): private mount and network
# namespaces, a fresh tmpfs on /run (so /run/netns and /run/nsplan are private), lo up. Everything the benchmark creates
# lives in that sandbox and goes with it, except cgroups, which are global: nsplan and the
# baselines get --cgroup-parent nsplan-t-bench-<pid>, made by bench.py in the hierarchies the
# profiles use and removed at the end (here too, by the trap, should bench.py die).
# Prints to stdout only. Needs root, iproute2, python3 (standard library) and a built nsplan
# (NSPLAN=path, default build/nsplan).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
nsplan=${NSPLAN:-$root/build/nsplan}
profile=$root/profiles/lab.yaml
parent=nsplan-t-bench-$$

case " $* " in
  *" -h "*|*" --help "*) exec python3 -B "$here/bench.py" --help ;;
esac
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: needs root (namespaces, links, cgroups)" >&2; exit 2; }
[ -x "$nsplan" ] || { echo "bench/run.sh: no nsplan at $nsplan: build it first (make -C build nsplan)" >&2; exit 2; }
command -v ip >/dev/null || { echo "bench/run.sh: needs ip (iproute2)" >&2; exit 2; }
command -v unshare >/dev/null || { echo "bench/run.sh: needs unshare (util-linux)" >&2; exit 2; }

cleanup() {
  # Only our own parent, deepest first; never anything else.
  for d in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent"; do
    [ -d "$d" ] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || echo "bench/run.sh: could not remove $d" >&2
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# nsplan benchmark"
echo "command: bench/run.sh $*"
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); kernel $(uname -r); $(nproc) CPUs; $(ip -V)"
echo "nsplan: $nsplan ($(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$root" && git diff --quiet HEAD -- applier cli compiler schema 2>/dev/null || echo ', source tree modified'))"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Times are whole processes (spawn to exit) as seen by the Python driver; medians."

# bench.py checks that it runs in other namespaces than these
NSPLAN_BENCH_OUTER_NS=$(stat -L -c %i /proc/$$/ns/net):$(stat -L -c %i /proc/$$/ns/mnt)
export NSPLAN_BENCH_OUTER_NS
sh "$here/sandbox.sh" python3 -B "$here/bench.py" --nsplan "$nsplan" --profile "$profile" --cgroup-parent "$parent" "$@"

#!/bin/sh
# Start-up cost of `nsplan run`: `nsplan run P -- true` against util-linux `unshare` with the same
# namespaces, many repetitions, interleaved; medians and their ratio (target: <= 1.2x).
#
#   bench/run_vs_unshare.sh [-n REPS] [-w WARMUP]      (NSPLAN=path, default build/nsplan)
#
# Cases (each nsplan profile has no cgroup and no network, so nsplan applies nothing: what is
# measured is nsplan's start -- probe, compile, fork, namespaces, exec -- against unshare's):
#   ns5    uts, ipc, pid, mnt (+ a fresh /proc), net:
#            nsplan run P -- true
#            unshare --uts --ipc --pid --mount --net --fork --propagation=private --mount-proc true
#   ns3    uts, ipc, pid:
#            nsplan run P -- true
#            unshare --uts --ipc --pid --fork true
#   empty  no namespace at all (`nsplan run P -- true` against `true` exec'd directly: nsplan's
#          fixed cost, for reference; no target)
# The ratio of ns5 is the headline figure.
#
# Runs inside the benchmarks' sandbox (sandbox.sh): private mount and network namespaces, a fresh
# tmpfs on /run (the state dir /run/nsplan is private). Nothing global is touched: no cgroup, no
# link. Timing is done by a python3 driver (time.perf_counter around spawn..exit, the same way for both tools).
# Needs root, util-linux unshare, python3, a built nsplan.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
nsplan=${NSPLAN:-$root/build/nsplan}
reps=300
warmup=20
while [ $# -gt 0 ]; do
  case $1 in
    -n) reps=$2; shift 2 ;;
    -w) warmup=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run_vs_unshare.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "bench/run_vs_unshare.sh: needs root (namespaces)" >&2; exit 2; }
[ -x "$nsplan" ] || { echo "bench/run_vs_unshare.sh: no nsplan at $nsplan: build it first" >&2; exit 2; }
command -v unshare >/dev/null || { echo "bench/run_vs_unshare.sh: needs unshare (util-linux)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench/run_vs_unshare.sh: needs python3" >&2; exit 2; }

work=$(mktemp -d /tmp/nsplan-t-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

cat > "$work/ns5.yaml" <<'EOF'
nsplan: 1
name: nsplan-t-bench-ns5
namespaces:
  uts: {}
  ipc: {}
  pid: {}
  mnt: {proc: true}
  net: {}
run:
  command: [true]
EOF
cat > "$work/ns3.yaml" <<'EOF'
nsplan: 1
name: nsplan-t-bench-ns3
namespaces:
  uts: {}
  ipc: {}
  pid: {}
run:
  command: [true]
EOF
cat > "$work/empty.yaml" <<'EOF'
nsplan: 1
name: nsplan-t-bench-empty
run:
  command: [true]
EOF

echo "# nsplan run vs unshare"
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); kernel $(uname -r); $(nproc) CPUs; $(unshare --version)"
echo "nsplan: $nsplan ($(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "repetitions: $reps per command (after $warmup warm-up runs), interleaved; wall time spawn..exit"

sh "$here/sandbox.sh" python3 - "$nsplan" "$work" "$reps" "$warmup" <<'PY'
import os, statistics, subprocess, sys, time

nsplan, work, reps, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
true = "/bin/true" if os.path.exists("/bin/true") else "true"
cases = [
    ("ns5", [nsplan, "run", f"{work}/ns5.yaml", "--", true],
     ["unshare", "--uts", "--ipc", "--pid", "--mount", "--net", "--fork", "--propagation=private", "--mount-proc", true]),
    ("ns3", [nsplan, "run", f"{work}/ns3.yaml", "--", true],
     ["unshare", "--uts", "--ipc", "--pid", "--fork", true]),
    ("empty", [nsplan, "run", f"{work}/empty.yaml", "--", true], [true]),
]

def once(argv):
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return dt * 1000.0

def q(xs, f):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(f * len(xs)))]

print()
print(f"{'case':6} {'nsplan run ms':>24} {'baseline ms':>24} {'ratio':>7}  baseline")
print(f"{'':6} {'median (p10..p90)':>24} {'median (p10..p90)':>24}")
for name, a, b in cases:
    for _ in range(warmup):
        once(a); once(b)
    ta, tb = [], []
    for i in range(reps):
        # alternate the order so that neither always runs right after the other
        if i % 2:
            ta.append(once(a)); tb.append(once(b))
        else:
            tb.append(once(b)); ta.append(once(a))
    ma, mb = statistics.median(ta), statistics.median(tb)
    fa = f"{ma:.2f} ({q(ta, .1):.2f}..{q(ta, .9):.2f})"
    fb = f"{mb:.2f} ({q(tb, .1):.2f}..{q(tb, .9):.2f})"
    print(f"{name:6} {fa:>24} {fb:>24} {ma / mb:6.2f}x  {' '.join(os.path.basename(x) if x == nsplan else x for x in b)}")
    sys.stdout.flush()
target = 1.2
print()
print(f"target: ns5 ratio <= {target}x")
PY

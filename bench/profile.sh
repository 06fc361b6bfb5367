#!/bin/sh
# Where nsplan's time goes: bench/profile.sh [PAIRS]   (default 1000)
#
# In the benchmarks' sandbox (sandbox.sh: private mount + net namespaces, tmpfs on /run; the profiles
# used here have no cgroup section, so no cgroup is touched), for profiles/lab.yaml and for a
# generated profile of PAIRS veth pairs:
#   - compile only (`nsplan explain`), 0 / 100 / PAIRS pairs: how planning scales;
#   - apply and destroy, 3 times: wall, CPU (user / sys), page faults, voluntary waits;
#   - strace -f -T of apply and destroy: syscall counts and time, netlink requests by type;
#   - perf record of apply and destroy, top symbols (when perf works).
# Prints to stdout. Needs root; perf and strace are optional (skipped when missing).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
nsplan=${NSPLAN:-$root/build/nsplan}
pairs=${1:-1000}
[ "$(id -u)" = 0 ] || { echo "bench/profile.sh: needs root" >&2; exit 2; }
[ -x "$nsplan" ] || { echo "bench/profile.sh: no nsplan at $nsplan" >&2; exit 2; }

exec sh "$here/sandbox.sh" sh -c '
set -eu
w=/run/nsplan-t-bench; mkdir -p $w; cd $w
cp "$1" ./nsplan; cp "$2/profiles/lab.yaml" .
pairs=$3
N=./nsplan
gen() {
  { echo "nsplan: 1"; echo "name: nspt-veth$1"; echo "network:"; echo "  namespaces: [nspt-ns]"
    [ "$1" -gt 0 ] && echo "  links:"
    i=0; while [ $i -lt "$1" ]; do echo "    - {name: nspt-h$i, kind: veth, peer: {name: nspt-p$i, netns: nspt-ns}}"; i=$((i+1)); done
  } > nspt-veth$1.yaml
}
gen 0; gen 100; gen "$pairs"
have() { command -v "$1" >/dev/null 2>&1; }
perf_ok=false; have perf && perf stat -e task-clock true >/dev/null 2>&1 && perf_ok=true

echo "## compile only: nsplan explain --no-run (median of 7 wall times)"
for p in lab.yaml nspt-veth0.yaml nspt-veth100.yaml nspt-veth$pairs.yaml; do
  python3 - "$N" "$p" <<EOF
import subprocess, sys, time, statistics
xs = []
for _ in range(7):
    t = time.perf_counter(); subprocess.run([sys.argv[1], "explain", "--no-run", sys.argv[2]], stdout=subprocess.DEVNULL, check=True)
    xs.append(time.perf_counter() - t)
print(f"  {sys.argv[2]:22s} {statistics.median(xs)*1e3:8.1f} ms")
EOF
done
echo "  for scale: /bin/true, ip link show lo, nsplan --version"
python3 - "$N" <<EOF
import subprocess, sys, time, statistics
for argv in (["/bin/true"], ["ip", "link", "show", "lo"], [sys.argv[1], "--version"]):
    xs = []
    for _ in range(15):
        t = time.perf_counter(); subprocess.run(argv, stdout=subprocess.DEVNULL, check=True); xs.append(time.perf_counter() - t)
    name = " ".join(argv)
    print(f"  {name:22s} {statistics.median(xs)*1e3:8.1f} ms")
EOF

summarize_strace() {
  python3 - "$1" <<EOF
import re, sys
calls = {}
for line in open(sys.argv[1]):
    m = re.match(r"^\d+\s+(\w+)\(", line); d = re.search(r"<([\d.]+)>\s*$", line)
    if not m or not d: continue
    name = m.group(1)
    if name == "sendmsg":
        t = re.search(r"nlmsg_type=(RTM_\w+)", line); name += " " + (t.group(1) if t else "?")
    c = calls.setdefault(name, [0, 0.0]); c[0] += 1; c[1] += float(d.group(1))
total = sum(c[1] for c in calls.values())
print(f"    in syscalls: {total*1e3:.1f} ms (under strace: slower than without)")
for k, (n, t) in sorted(calls.items(), key=lambda kv: -kv[1][1])[:10]:
    print(f"    {k:26s} {n:6d} calls {t*1e3:9.2f} ms")
EOF
}

for p in lab.yaml nspt-veth$pairs.yaml; do
  pause=0.5; [ "$p" = lab.yaml ] || pause=3
  echo; echo "## $p"
  for i in 1 2 3; do
    for cmd in apply destroy; do
      python3 - "$N" "$cmd" "$p" <<EOF
import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen([sys.argv[1], sys.argv[2], sys.argv[3]], stdout=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
wall = time.perf_counter() - t
assert status == 0, status
print(f"  {sys.argv[2]:8s} wall {wall*1e3:7.1f} ms, cpu user {ru.ru_utime*1e3:6.1f} ms + sys {ru.ru_stime*1e3:6.1f} ms, "
      f"{ru.ru_minflt} page faults, {ru.ru_nvcsw} waits")
EOF
      sleep $pause
    done
  done
  if have strace; then
    for cmd in apply destroy; do
      strace -f -T -o st.txt $N $cmd $p >/dev/null
      echo "  strace $cmd:"; summarize_strace st.txt
      sleep $pause
    done
  fi
  if $perf_ok; then
    for cmd in apply destroy; do
      perf record -q -F 10000 -g -o perf.data $N $cmd $p >/dev/null 2>&1 || true
      echo "  perf record $cmd: share of samples by object, then top symbols"
      perf report -i perf.data --no-children --stdio --sort dso -g none 2>/dev/null | grep "%" | head -6 | sed "s/^/   /"
      perf report -i perf.data --no-children --stdio --sort dso,sym -g none 2>/dev/null | grep "%" | head -14 | cut -c1-110 | sed "s/^/   /"
      sleep $pause
    done
  fi
done
' sh "$nsplan" "$root" "$pairs"

#!/usr/bin/env python3
"""nsplan benchmark: whole processes, many repetitions, medians and ratios from one run.

Run through bench/run.sh, which puts this inside a sandbox (private mount and network
namespaces, a fresh tmpfs on /run). This file refuses to run outside one.

(a) a small profile (profiles/lab.yaml): setup + teardown by
      nsplan          `nsplan apply` + `nsplan destroy`
      explain|sh      `nsplan explain --no-run | sh` + `nsplan explain --destroy | sh`
      naive sh        one ip/echo per step, peers created then moved, `ip link del` one by one
      ip -batch       nsplan's operations through `ip -batch`, teardown `link del group` + netns del
      ip -batch, settled  the same, then `link show dev` for each link brought up, as apply does
      floor           bench/floor/lab_floor.c: exactly lab.yaml's kernel requests, in C (part d)
(b) N veth pairs (host ends on the host, peers in one persistent namespace, all up):
      nsplan          apply / destroy of a generated profile
      ip -batch       the same creates (peer born in the namespace), `link del group N` + netns del
      ip -batch, settled  the same, then `link show dev` for each link brought up, as apply does
(c) lab.yaml on a host that carries 0, 1000 and 3000 veth pairs of others (host ends on the
    host, peers in a namespace of their own): nsplan apply, plan, status, destroy
(d) the floor: part (a)'s "floor" variant, nsplan's ratios to it
"""
import argparse
import json
import os
import resource
import signal
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import baselines  # noqa: E402

WORK = "/run/nsplan-t-bench"  # on the sandbox's private tmpfs
TMPFS_MAGIC = 0x01021994


def die(msg):
    print(f"bench: error: {msg}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- sandbox and cgroups

def check_sandbox(outer):
    """The namespaces and /run of this process must not be run.sh's (the host's)."""
    outer = dict(zip(("net", "mnt"), (outer or ":").split(":")))
    for kind in ("net", "mnt"):
        if str(os.stat(f"/proc/self/ns/{kind}").st_ino) == outer[kind] or not outer[kind]:
            die(f"not in a private {kind} namespace: run bench/run.sh, not bench.py")
    with open("/proc/self/mountinfo") as f:
        run_mounts = [l.split() for l in f if l.split()[4] == "/run"]
    if not run_mounts or run_mounts[-1][-3] != "tmpfs" or run_mounts[-1][-2] != "nsplan-t-run":
        die("/run is not the sandbox's own tmpfs (nsplan-t-run): run bench/run.sh")


class CgroupParents:
    """The --cgroup-parent directory, made by us in each hierarchy a plan uses; removed at exit."""

    def __init__(self, name):
        self.name = name
        self.made = []

    def ensure_for(self, plan):
        target = plan["target"]
        root = target["cgroup_root"]
        for d in plan.get("cgroup_dirs", []):
            rel = os.path.relpath(d, root).split("/")
            if target["cgroup"] == "v1":
                parent = os.path.join(root, rel[0], self.name)
                assert rel[1] == self.name, (d, self.name)
            else:
                parent = os.path.join(root, self.name)
                assert rel[0] == self.name, (d, self.name)
            if parent not in self.made:
                os.mkdir(parent)  # must not exist yet: we only ever remove what we made
                self.made.append(parent)

    def remove(self):
        for parent in reversed(self.made):
            for dirpath, dirnames, _ in os.walk(parent, topdown=False):
                for d in dirnames:
                    try:
                        os.rmdir(os.path.join(dirpath, d))
                    except OSError as e:
                        print(f"bench: warning: rmdir {os.path.join(dirpath, d)}: {e}", file=sys.stderr)
            try:
                os.rmdir(parent)
            except OSError as e:
                print(f"bench: warning: rmdir {parent}: {e}", file=sys.stderr)
        self.made = []


# ---------------------------------------------------------------- timing

def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_timed(*pipeline):
    """Runs a pipeline of argv lists. Returns (wall seconds from the first spawn to the last exit,
    CPU seconds, user + sys, of every process of it: sh's children are folded into sh's)."""
    err = tempfile.TemporaryFile()
    procs = []
    c0 = children_cpu()
    t0 = time.perf_counter()
    prev = None
    for i, argv in enumerate(pipeline):
        last = i == len(pipeline) - 1
        p = subprocess.Popen(argv, stdin=prev.stdout if prev else subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL if last else subprocess.PIPE, stderr=err)
        if prev:
            prev.stdout.close()
        procs.append(p)
        prev = p
    rcs = [p.wait() for p in procs]
    t = time.perf_counter() - t0
    cpu = children_cpu() - c0
    if any(rcs):
        err.seek(0)
        die(f"{' | '.join(' '.join(a) for a in pipeline)} exited {rcs}:\n{err.read().decode(errors='replace')}")
    return t, cpu


def rtnl_probe():
    """Seconds one no-op RTM_NEWLINK on lo takes (it waits for the rtnl lock)."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    try:
        s.bind((0, 0))
        ifi = struct.pack("BxHiII", 0, 0, 1, 1, 1)  # AF_UNSPEC, ifindex 1 (lo), IFF_UP
        hdr = struct.pack("IHHII", 16 + len(ifi), 16, 1 | 4, 1, 0)  # RTM_NEWLINK, REQUEST|ACK
        t = time.perf_counter()
        s.send(hdr + ifi)
        s.recv(4096)
        return time.perf_counter() - t
    finally:
        s.close()


def cpu_pressure():
    """(avg10 %, total us) of /proc/pressure/cpu "some": time runnable tasks waited for a CPU."""
    try:
        with open("/proc/pressure/cpu") as f:
            fields = dict(kv.split("=") for kv in f.readline().split()[1:])
        return float(fields["avg10"]), int(fields["total"])
    except (OSError, KeyError, ValueError):
        return 0.0, 0


class Quiet:
    """Other work on the machine (a build on the 2 CPUs) makes every process slower, and not all
    of them alike. Before each round: wait until the CPU pressure of the last 10 s is low."""

    def __init__(self, threshold, timeout):
        self.threshold, self.timeout = threshold, timeout
        self.waited = 0.0
        self.gave_up = 0

    def wait(self):
        if self.timeout <= 0:
            return
        t0 = time.monotonic()
        while cpu_pressure()[0] > self.threshold:
            if time.monotonic() - t0 > self.timeout:
                self.gave_up += 1
                break
            time.sleep(1)
        self.waited += time.monotonic() - t0


class Settle:
    """Pauses between measurements so that the kernel's background work (netns cleanup, link
    watch, RCU callbacks) of one run does not land in the next."""

    def __init__(self, scale):
        self.scale = scale
        self.extra_waits = 0

    def __call__(self, seconds):
        if seconds <= 0 or self.scale <= 0:
            return
        time.sleep(seconds * self.scale)
        deadline = time.monotonic() + 5
        good = 0
        while good < 3 and time.monotonic() < deadline:
            if rtnl_probe() < 0.001:
                good += 1
            else:
                good = 0
                self.extra_waits += 1
                time.sleep(0.05)


# ---------------------------------------------------------------- state checks

def ip_json(*args):
    out = subprocess.run(["ip", "-j", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else []


def netns_names():
    try:
        return sorted(os.listdir("/run/netns"))
    except FileNotFoundError:
        return []


def snapshot():
    """What the network looks like: links (kind, up, master), IPv4 addresses and routes per
    namespace. Link groups and MACs are left out: the naive script sets no group."""
    state = {}
    for ns in [""] + netns_names():
        pre = ["-n", ns] if ns else []
        links = []
        for l in ip_json(*pre, "-d", "link", "show"):
            links.append((l["ifname"], l.get("linkinfo", {}).get("info_kind", ""), "UP" in l.get("flags", []),
                          l.get("master", "")))
        addrs = []
        for a in ip_json(*pre, "-4", "addr", "show"):
            for i in a.get("addr_info", []):
                addrs.append((a["ifname"], f"{i['local']}/{i['prefixlen']}"))
        routes = [(r.get("dst"), r.get("gateway", ""), r.get("dev", "")) for r in ip_json(*pre, "-4", "route", "show")]
        state[ns or "(host)"] = (sorted(links), sorted(addrs), sorted(routes))
    return state


def assert_clean(what, cgroup_dirs):
    left = netns_names()
    links = [l["ifname"] for l in ip_json("link", "show") if l["ifname"] != "lo"]
    cgs = [d for d in cgroup_dirs if os.path.exists(d)]
    if left or links or cgs:
        die(f"{what} left behind: netns {left}, links {links[:5]}{'...' if len(links) > 5 else ''}, cgroups {cgs}")


def describe_state(s):
    return ", ".join(f"{ns}: {len(v[0])} links, {len(v[1])} addrs, {len(v[2])} routes" for ns, v in s.items())


# ---------------------------------------------------------------- variants

class Variant:
    def __init__(self, name, up, down):
        self.name, self.up, self.down = name, up, down
        self.t_up, self.t_down, self.t_total = [], [], []
        self.stall = []  # CPU-pressure stall fraction during each setup + teardown
        self.cpu_up, self.cpu_down, self.cpu_total = [], [], []


def build_floor():
    """bench/floor/lab_floor.c, compiled into the sandbox's tmpfs (static, as nsplan is)."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "floor", "lab_floor.c")
    out = os.path.join(WORK, "lab_floor")
    cc = os.environ.get("CC", "cc")
    p = subprocess.run([cc, "-O2", "-static", "-o", out, src], capture_output=True, text=True)
    if p.returncode != 0:
        die(f"cannot build the floor ({cc} -O2 -static {src}):\n{p.stderr}")
    return out


def shell_variant(label, name, up, down):
    """A baseline whose setup and teardown are the shell scripts UP and DOWN (WORK/NAME.up.sh, .down.sh)."""
    paths = []
    for part, text in (("up", up), ("down", down)):
        paths.append(os.path.join(WORK, f"{name}.{part}.sh"))
        with open(paths[-1], "w") as f:
            f.write(text)
    return Variant(label, lambda: run_timed(["sh", paths[0]]), lambda: run_timed(["sh", paths[1]]))


def nsplan_variants(nsplan, profile, parent, plan, tag, with_shell, floor=None):
    common = [profile, "--cgroup-parent", parent]
    vs = [Variant("nsplan apply/destroy",
                  lambda: run_timed([nsplan, "apply", *common]),
                  lambda: run_timed([nsplan, "destroy", *common]))]
    if with_shell:
        vs.append(Variant("explain | sh",
                          lambda: run_timed([nsplan, "explain", "--no-run", *common], ["sh"]),
                          lambda: run_timed([nsplan, "explain", "--destroy", *common], ["sh"])))
        vs.append(shell_variant("naive sh (move, del 1by1)", f"{tag}.naive", *baselines.naive(plan)))
    vs.append(shell_variant("ip -batch", f"{tag}.ipbatch", *baselines.ipbatch(plan, WORK, f"{tag}.ipbatch")))
    # The same, then asking for each link brought up, as apply does after its last step.
    vs.append(shell_variant("ip -batch, settled", f"{tag}.ipsettled",
                            *baselines.ipbatch(plan, WORK, f"{tag}.ipsettled", settle=True)))
    if floor:
        vs.append(Variant("floor (C, lab.yaml's requests)",
                          lambda: run_timed([floor, "setup"]), lambda: run_timed([floor, "teardown"])))
    return vs


def get_plan(nsplan, profile, parent):
    # On the live host `plan` also diffs against it: exit status 4 says that changes are pending.
    p = subprocess.run([nsplan, "plan", "--json", profile, "--cgroup-parent", parent], capture_output=True, text=True)
    if p.returncode not in (0, 4):
        die(f"nsplan plan --json {profile} exited {p.returncode}:\n{p.stderr}")
    return json.loads(p.stdout)


def measure(title, variants, reps, settle, quiet, pause_up, pause_down, cgroup_dirs, check_equal):
    """One validation round (not timed: results compared, teardown checked), then REPS timed
    rounds, the variants' order rotated each round."""
    print(f"\n## {title}", flush=True)
    ref = None
    for v in variants:
        v.up()
        settle(pause_up)
        snap = snapshot()
        v.down()
        assert_clean(v.name, cgroup_dirs)
        settle(pause_down)
        if ref is None:
            ref = (v.name, snap)
            print(f"   validated: {describe_state(snap)}")
        elif check_equal and snap != ref[1]:
            for ns in sorted(set(snap) | set(ref[1])):
                if snap.get(ns) != ref[1].get(ns):
                    print(f"   {ns}: {ref[0]}: {ref[1].get(ns)}\n   {ns}: {v.name}: {snap.get(ns)}", file=sys.stderr)
            die(f"{v.name} does not make what {ref[0]} makes")
    print(f"   all {len(variants)} variants leave the same links, addresses and routes; teardowns leave nothing")
    t_start = time.monotonic()
    for r in range(reps):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        quiet.wait()
        for v in order:
            if netns_names():
                die(f"leftover namespaces before {v.name}: {netns_names()}")
            p0 = cpu_pressure()[1]
            a, ca = v.up()
            p1 = cpu_pressure()[1]
            settle(pause_up)
            p2 = cpu_pressure()[1]
            d, cd = v.down()
            p3 = cpu_pressure()[1]
            settle(pause_down)
            v.t_up.append(a)
            v.t_down.append(d)
            v.t_total.append(a + d)
            v.cpu_up.append(ca)
            v.cpu_down.append(cd)
            v.cpu_total.append(ca + cd)
            v.stall.append(((p1 - p0) + (p3 - p2)) / 1e6 / (a + d))
        print(f"   round {r + 1}/{reps} done ({time.monotonic() - t_start:.0f} s, cpu pressure avg10 "
              f"{cpu_pressure()[0]:.0f}%)", flush=True)


def med(xs):
    return statistics.median(xs)


def iqr(xs):
    if len(xs) < 4:
        return min(xs), max(xs)
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


def ms(x):
    return f"{x * 1e3:.1f}" if x < 10 else f"{x * 1e3:.0f}"


def table(variants, ref):
    r = next(v for v in variants if v.name == ref)
    rows = [("how", "setup ms", "teardown ms", "total ms", "total IQR ms", "best total ms", "/ nsplan's",
             "best / nsplan's", "cpu ms", "cpu / nsplan's", "cpu stall")]
    for v in variants:
        lo, hi = iqr(v.t_total)
        rows.append((v.name, ms(med(v.t_up)), ms(med(v.t_down)), ms(med(v.t_total)), f"{ms(lo)}-{ms(hi)}",
                     ms(min(v.t_total)), f"{med(v.t_total) / med(r.t_total):.2f}x",
                     f"{min(v.t_total) / min(r.t_total):.2f}x", ms(med(v.cpu_total)),
                     f"{med(v.cpu_total) / med(r.cpu_total):.2f}x", f"{med(v.stall) * 100:.0f}%"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for i, row in enumerate(rows):
        out.append("| " + " | ".join(c.ljust(widths[j]) if j == 0 else c.rjust(widths[j]) for j, c in enumerate(row)) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print("\n".join(out))


# ---------------------------------------------------------------- (c) a crowded host

CROWD_NS = "nspt-crowd"


def crowd(n):
    """N veth pairs of others: host ends nspt-u<i> (down, group 0), peers in CROWD_NS."""
    subprocess.run(["ip", "netns", "add", CROWD_NS], check=True)
    if n:
        path = os.path.join(WORK, f"crowd{n}.batch")
        with open(path, "w") as f:
            for i in range(n):
                f.write(f"link add nspt-u{i} type veth peer name nspt-v{i} netns {CROWD_NS}\n")
        subprocess.run(["ip", "-batch", path], check=True)


def uncrowd():
    subprocess.run(["ip", "netns", "del", CROWD_NS], check=True)  # its veths take the host ends along
    for _ in range(200):
        if len(ip_json("link", "show")) <= 1:
            return
        time.sleep(0.05)
    die("the crowd's host ends are still there 10 s after its namespace went")


def measure_crowded(nsplan, profile, parent, sizes, reps, settle, quiet):
    """For each size: the crowd made, then REPS rounds of apply, plan, status, destroy of the profile."""
    common = [profile, "--cgroup-parent", parent]
    steps = [("apply", [nsplan, "apply", *common]), ("plan", [nsplan, "plan", *common]),
             ("status", [nsplan, "status", *common]), ("destroy", [nsplan, "destroy", *common])]
    out = {}
    for n in sizes:
        print(f"\n## (c) {os.path.basename(profile)} on a host with {n} veth pairs of others: {reps} rounds, "
              f"pauses 0.2 s after apply, 0.4 s after destroy", flush=True)
        crowd(n)
        hosts = len(ip_json("link", "show"))
        print(f"   host namespace: {hosts} links", flush=True)
        times = {k: [] for k, _ in steps}
        try:
            for r in range(reps):
                quiet.wait()
                for k, argv in steps:
                    # plan exits 4 when changes are pending: never here, the profile is applied
                    t, _ = run_timed(argv)
                    times[k].append(t)
                    settle(0.2 if k == "apply" else 0.4 if k == "destroy" else 0)
            print(f"   {reps} rounds done", flush=True)
        finally:
            uncrowd()
            settle(1.0)
        out[n] = times
    rows = [("unrelated veth pairs", "host links") + tuple(f"{k} ms" for k, _ in steps) +
            tuple(f"{k} / at {sizes[0]}" for k, _ in steps)]
    for n in sizes:
        base = out[sizes[0]]
        rows.append((str(n), str(n + 1)) + tuple(ms(med(out[n][k])) for k, _ in steps) +
                    tuple(f"{med(out[n][k]) / med(base[k]):.2f}x" for k, _ in steps))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("| " + " | ".join(c.rjust(widths[j]) for j, c in enumerate(row)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return out


# ---------------------------------------------------------------- profiles

def veth_profile(n):
    lines = ["nsplan: 1", f"name: nspt-veth{n}", f"description: {n} veth pairs, peers in one namespace (bench)",
             "network:", "  namespaces: [nspt-ns]"]
    if n:
        lines.append("  links:")
        for i in range(n):
            lines.append(f"    - {{name: nspt-h{i}, kind: veth, peer: {{name: nspt-p{i}, netns: nspt-ns}}}}")
    path = os.path.join(WORK, f"nspt-veth{n}.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nsplan", required=True)
    ap.add_argument("--profile", required=True)
    ap.add_argument("--cgroup-parent", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["a", "b", "c"])
    ap.add_argument("--reps", type=int, help="rounds for (a) and for (b) at 0 and 100 pairs")
    ap.add_argument("--reps-1000", type=int, help="rounds for (b) at 1000 pairs")
    ap.add_argument("--pause-scale", type=float, default=1.0, help="multiply the pauses (0: none)")
    ap.add_argument("--quiet-below", type=float, default=10.0,
                    help="before each round, wait until /proc/pressure/cpu some avg10 is below this %% (default 10)")
    ap.add_argument("--quiet-timeout", type=float, default=120.0,
                    help="wait at most this many seconds for that, then measure anyway (0: never wait)")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    check_sandbox(os.environ.get("NSPLAN_BENCH_OUTER_NS"))
    if not a.cgroup_parent.startswith("nsplan-t-"):
        die("the cgroup parent must be named nsplan-t-*")

    os.makedirs(WORK, exist_ok=True)
    nsplan = os.path.join(WORK, "nsplan")  # a snapshot: the build tree may be rebuilt meanwhile
    shutil.copy2(a.nsplan, nsplan)
    profile = os.path.join(WORK, os.path.basename(a.profile))
    shutil.copy2(a.profile, profile)

    reps = a.reps or (7 if a.quick else 25)
    reps_1000 = a.reps_1000 or (3 if a.quick else 7)
    settle = Settle(a.pause_scale)
    quiet = Quiet(a.quiet_below, a.quiet_timeout)
    parents = CgroupParents(a.cgroup_parent)
    results = {}
    try:
        if a.only in (None, "a"):
            plan = get_plan(nsplan, profile, a.cgroup_parent)
            parents.ensure_for(plan)
            floor = build_floor() if os.path.basename(a.profile) == "lab.yaml" else None
            vs = nsplan_variants(nsplan, profile, a.cgroup_parent, plan, "a", with_shell=True, floor=floor)
            measure(f"(a) {a.profile}: {len(plan['steps'])} steps, {reps} rounds, pauses 0.2 s after setup, "
                    f"0.4 s after teardown", vs, reps, settle, quiet, 0.2, 0.4, plan.get("cgroup_dirs", []), True)
            table(vs, "nsplan apply/destroy")
            results["a"] = vs
        if a.only in (None, "b"):
            results["b"] = {}
            for n, r, pu, pd in ((0, max(3, reps // 2), 0.1, 0.3), (100, max(3, reps // 2), 0.3, 1.0), (1000, reps_1000, 1.0, 3.0)):
                prof = veth_profile(n)
                plan = get_plan(nsplan, prof, a.cgroup_parent)
                parents.ensure_for(plan)
                vs = nsplan_variants(nsplan, prof, a.cgroup_parent, plan, f"b{n}", with_shell=False)
                measure(f"(b) {n} veth pairs: {len(plan['steps'])} steps, {r} rounds, pauses {pu} s after setup, "
                        f"{pd} s after teardown", vs, r, settle, quiet, pu, pd, plan.get("cgroup_dirs", []), True)
                table(vs, "nsplan apply/destroy")
                results["b"][n] = vs
        if a.only in (None, "c"):
            results["c"] = measure_crowded(nsplan, profile, a.cgroup_parent, (0, 1000, 3000),
                                           max(5, reps // 2), settle, quiet)
    finally:
        parents.remove()
    summary(results, settle, quiet)


def summary(results, settle, quiet):
    print("\n## Targets (medians of this run; in brackets the same from the best run of each variant, and from CPU time)")
    verdict = lambda ok: "MET   " if ok else "MISSED"
    if "a" in results:
        vs = {v.name: v for v in results["a"]}
        n, e = vs["nsplan apply/destroy"], vs["explain | sh"]
        ratio = med(e.t_total) / med(n.t_total)
        print(f"- {verdict(ratio >= 5)} apply+destroy >= 5x faster than its own explain script: {ratio:.2f}x "
              f"({ms(med(n.t_total))} ms vs {ms(med(e.t_total))} ms; setup {med(e.t_up) / med(n.t_up):.2f}x, "
              f"teardown {med(e.t_down) / med(n.t_down):.2f}x) [best {min(e.t_total) / min(n.t_total):.2f}x; "
              f"cpu {med(e.cpu_total) / med(n.cpu_total):.2f}x]")
        i = vs["ip -batch"]
        print(f"         the kernel's share: the ip -batch teardown (one ip process for all the deletions) takes "
              f"{ms(med(i.t_down))} ms of wall but {ms(med(i.cpu_down))} ms of CPU: the rest is waiting in the kernel")
        f = next((v for k, v in vs.items() if k.startswith("floor")), None)
        if f:
            rt, ru = med(n.t_total) / med(f.t_total), med(n.t_up) / med(f.t_up)
            print(f"- {verdict(rt <= 1.2)} (d) apply+destroy within 1.2x of the floor: {rt:.2f}x "
                  f"({ms(med(n.t_total))} ms vs {ms(med(f.t_total))} ms; teardown {med(n.t_down) / med(f.t_down):.2f}x) "
                  f"[best {min(n.t_total) / min(f.t_total):.2f}x; cpu {med(n.cpu_total) / med(f.cpu_total):.2f}x]")
            print(f"- {verdict(ru <= 1.3)} (d) setup within 1.3x of the floor's setup: {ru:.2f}x "
                  f"({ms(med(n.t_up))} ms vs {ms(med(f.t_up))} ms) [best {min(n.t_up) / min(f.t_up):.2f}x; "
                  f"cpu {med(n.cpu_up) / med(f.cpu_up):.2f}x]")
    if "b" in results and 1000 in results["b"]:
        b = {n: {v.name: v for v in vs} for n, vs in results["b"].items()}
        n1000, i1000 = b[1000]["nsplan apply/destroy"], b[1000]["ip -batch"]
        r = med(n1000.t_up) / med(i1000.t_up)
        rc = med(n1000.cpu_up) / med(i1000.cpu_up)
        print(f"- {verdict(r <= 1.1 and rc <= 1.1)} 1000 pairs created within 1.1x of ip -batch, wall and CPU: {r:.2f}x "
              f"({ms(med(n1000.t_up))} ms vs {ms(med(i1000.t_up))} ms) [best {min(n1000.t_up) / min(i1000.t_up):.2f}x; "
              f"cpu {med(n1000.cpu_up) / med(i1000.cpu_up):.2f}x]")
        s1000 = b[1000]["ip -batch, settled"]
        rs, rsc = med(n1000.t_up) / med(s1000.t_up), med(n1000.cpu_up) / med(s1000.cpu_up)
        print(f"- {verdict(rs <= 1.1 and rsc <= 1.1)} 1000 pairs created within 1.1x of ip -batch that also asks for each "
              f"link brought up, as apply does: {rs:.2f}x ({ms(med(n1000.t_up))} ms vs {ms(med(s1000.t_up))} ms) "
              f"[best {min(n1000.t_up) / min(s1000.t_up):.2f}x; cpu {rsc:.2f}x]")
        d = med(n1000.t_down)
        print(f"- {verdict(d <= 0.5)} 1000 pairs destroyed well under a second (taken as <= 0.5 s): {ms(d)} ms "
              f"[best {ms(min(n1000.t_down))} ms] (ip -batch `link del group` + netns del: {ms(med(i1000.t_down))} ms, "
              f"nsplan / ip {d / med(i1000.t_down):.2f}x)")
        n100, n0 = b[100]["nsplan apply/destroy"], b[0]["nsplan apply/destroy"]
        raw = (med(n1000.t_up) / 1000) / (med(n100.t_up) / 100)
        fixed = med(n0.t_up)
        m1000, m100 = (med(n1000.t_up) - fixed) / 1000, (med(n100.t_up) - fixed) / 100
        print(f"- {verdict(raw <= 1.2)} per-pair apply cost at 1000 within 1.2x of that at 100: {raw:.2f}x "
              f"({med(n1000.t_up) / 1000 * 1e6:.0f} us vs {med(n100.t_up) / 100 * 1e6:.0f} us per pair, whole process) "
              f"[best {(min(n1000.t_up) / 1000) / (min(n100.t_up) / 100):.2f}x] "
              f"(ip -batch: {(med(i1000.t_up) / 1000) / (med(b[100]['ip -batch'].t_up) / 100):.2f}x)")
        print(f"         without the fixed cost (apply of the 0-pair profile, {ms(fixed)} ms): "
              f"{m1000 * 1e6:.0f} us vs {m100 * 1e6:.0f} us per pair = {m1000 / m100:.2f}x "
              f"(ip -batch: {(med(i1000.t_up) - med(b[0]['ip -batch'].t_up)) / 1000 * 1e6:.0f} us vs "
              f"{(med(b[100]['ip -batch'].t_up) - med(b[0]['ip -batch'].t_up)) / 100 * 1e6:.0f} us)")
        rd = (med(n1000.t_down) - med(n0.t_down)) / (med(n100.t_down) - med(n0.t_down)) / 10
        print(f"         destroy per pair, fixed cost removed: 1000 vs 100 = {rd:.2f}x")
    if "c" in results:
        c = results["c"]
        sizes = sorted(c)
        for k in ("apply", "status", "destroy"):
            r = med(c[sizes[-1]][k]) / med(c[sizes[0]][k])
            print(f"- {verdict(r <= 1.2)} (c) {k} with {sizes[-1]} veth pairs of others within 1.2x of an empty host: "
                  f"{r:.2f}x ({ms(med(c[sizes[-1]][k]))} ms vs {ms(med(c[sizes[0]][k]))} ms)")
    print(f"\nwaited {quiet.waited:.0f} s in all for a quiet CPU (pressure avg10 < {quiet.threshold:g}%) before rounds; "
          f"measured {quiet.gave_up} round(s) anyway after {quiet.timeout:g} s")
    print(f"pauses stretched by the rtnl probe (lock busy after the fixed pause): {settle.extra_waits} time(s)")
    with open("/proc/loadavg") as f:
        print(f"load average at the end: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()

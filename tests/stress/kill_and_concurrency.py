#!/usr/bin/env python3
"""Stress test of nsplan apply/destroy on the real kernel (issue 6): kills and concurrency.

  (a) kills: the lab and build-jail profiles are applied ROUNDS times each and killed with SIGKILL
      at a random moment: half the rounds after a random delay of 0..D ms from the exec (D starts
      at 1.2 x a clean apply's duration here and adapts: -15% when the apply finished before
      the kill, +5% when the kill landed), half with NSPLAN_TEST_CRASH_AFTER=K (K random in
      1..the number of changes of a clean apply; the journal must then hold K records). Each kill
      is followed by `nsplan apply` (which must recover and succeed, with every step present in
      `status --json`) and `nsplan destroy` (in every 5th round the destroy is killed at a random
      moment too, then run again). After each round nothing may be left.
  (b) concurrency: 8 copies of the shipped profiles (distinct names, network namespaces, link
      names, addresses and cgroup paths, so that they can coexist) are applied and destroyed
      concurrently, ROUNDS times: even rounds apply all 8 at once, check, destroy all 8 at once;
      odd rounds run each profile's apply -> status -> destroy in its own thread, so that applies
      and destroys of different profiles overlap. Every apply and destroy must succeed, status
      must show every step present after apply, and nothing may be left after each round.

"Nothing left": no cgroup below the test's cgroup parent, no link but lo, no network namespace,
no nsfs mount made since the start, no state or journal file (tests/kernel/sandbox.h checks the
same after the e2e tests).

Everything runs in one sandbox: `unshare --mount --net --propagation private` with a tmpfs on /run
(so /run/netns and the state dir /run/nsplan are private) and lo up. Cgroups are global: the
script makes the parent `nsplan-t-stress-<pid>` in every cgroup v1 hierarchy the profiles use (a
new v1 cpuset gets the root's cpus and mems), passes it as --cgroup-parent, and removes it, and
only it, at the end (also on SIGINT/SIGTERM/SIGHUP; the sandbox is killed with this process).

Every message nsplan printed on stderr is collected and printed at the end with its count, so
that a reader can judge whether each is one a user can act on; a message that is neither a
located diagnostic ("file:line:col: error|warning: ...") nor an "nsplan: error: ..." is a failure.

Exit status: 0 all consistent and nothing leaked; 1 a leak, an inconsistency, or the time limit
reached before all rounds ran; 77 not root (skipped; a failure when CI=true).

With --shared-ancestor the copies of build-jail and isolated-shell keep their default cgroup path
nsplan/NAME, so that four profiles share the ancestor 'nsplan' (made by whichever comes first);
an ancestor left with no owner after a round is counted and removed, not a failure (it is how the
executor works today: see docs/reliability.md), so that the rounds look for races.

Usage: kill_and_concurrency.py NSPLAN SOURCE_DIR [--kill-rounds 50] [--concurrent-rounds 50]
           [--time-limit 540] [--seed N] [--shared-ancestor] [--verbose]
python3 standard library only.
"""

import argparse
import ctypes
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """preexec_fn: SIGKILL when the process that started us goes (survives exec)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def log(*a):
    print(*a, flush=True)


# ---- the outer process: cgroup parent, sandbox, cleanup ---------------------------------------


def cgroup_hierarchies(nsplan, profiles, parent):
    """The hierarchy roots (e.g. /sys/fs/cgroup/memory) where the profiles put cgroups below PARENT."""
    roots = set()
    pat = re.compile(r"mkdir -p '(/[^']*)/" + re.escape(parent) + r"(/|')")
    for p in profiles:
        r = subprocess.run([nsplan, "explain", p, "--no-run", "--cgroup-parent", parent],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"nsplan explain {p} failed:\n{r.stderr}")
        for m in pat.finditer(r.stdout):
            roots.add(m.group(1))
    return sorted(roots)


def rmdir_tree(path):
    """Removes a cgroup directory and the cgroups below it (children first)."""
    if not os.path.isdir(path) or os.path.islink(path):
        return
    for name in os.listdir(path):
        child = os.path.join(path, name)
        if os.path.isdir(child) and not os.path.islink(child):
            rmdir_tree(child)
    for _ in range(400):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != 16:  # EBUSY: a cgroup is busy for a moment after its last task went
                raise
            time.sleep(0.005)


class CgroupParent:
    def __init__(self, roots, name):
        self.name = name
        self.dirs = []
        seen = set()
        for root in roots:
            real = os.path.realpath(root)
            if real in seen:  # co-mounted controllers (cpu,cpuacct)
                continue
            seen.add(real)
            d = os.path.join(root, name)
            os.mkdir(d, 0o755)  # an existing one is not ours: fail rather than touch it
            self.dirs.append(d)
            if os.path.exists(os.path.join(root, "cpuset.cpus")):
                for f in ("cpuset.cpus", "cpuset.mems"):
                    with open(os.path.join(root, f)) as src, open(os.path.join(d, f), "w") as dst:
                        dst.write(src.read())

    def remove(self):
        for d in reversed(self.dirs):
            try:
                rmdir_tree(d)
            except OSError as e:
                log(f"cleanup: cannot remove {d}: {e}")
        self.dirs = []


def outer(args):
    if os.geteuid() != 0:
        log("kill_and_concurrency: needs root (cgroups, network namespaces)")
        return 1 if os.environ.get("CI") == "true" else 77
    nsplan = os.path.abspath(args.nsplan)
    src = os.path.abspath(args.source_dir)
    profiles = sorted(os.path.join(src, "profiles", n) for n in os.listdir(os.path.join(src, "profiles"))
                      if n.endswith(".yaml"))
    parent_name = f"nsplan-t-stress-{os.getpid()}"
    roots = cgroup_hierarchies(nsplan, profiles, parent_name)
    if not roots:
        log("no cgroup hierarchy found for the profiles")
        return 1
    inner_proc = None
    parent = None

    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    try:
        parent = CgroupParent(roots, parent_name)
        log(f"cgroup parent {parent_name} in: {', '.join(parent.dirs)}")
        cmd = ["unshare", "--mount", "--net", "--propagation", "private", "--",
               sys.executable, os.path.abspath(__file__), "--inner", "--parent-dirs", ",".join(parent.dirs),
               "--parent", parent_name, nsplan, src,
               "--kill-rounds", str(args.kill_rounds), "--concurrent-rounds", str(args.concurrent_rounds),
               "--time-limit", str(args.time_limit), "--seed", str(args.seed)]
        if args.shared_ancestor:
            cmd.append("--shared-ancestor")
        if args.verbose:
            cmd.append("--verbose")
        inner_proc = subprocess.Popen(cmd, preexec_fn=lambda: (os.setsid(), die_with_parent()))
        try:
            rc = inner_proc.wait(timeout=args.time_limit + 60)
        except subprocess.TimeoutExpired:
            log(f"FAIL: the sandbox did not finish within {args.time_limit + 60} s; killed")
            rc = 1
        return 0 if rc == 0 else 1
    finally:
        if inner_proc is not None and inner_proc.poll() is None:
            try:
                os.killpg(inner_proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            inner_proc.wait()
        if parent is not None:
            left = []
            for d in parent.dirs:
                for dirpath, dirnames, _ in os.walk(d):
                    left += [os.path.join(dirpath, n) for n in dirnames]
            parent.remove()
            if left:
                log("cleanup removed cgroups left below the parent: " + ", ".join(left))


# ---- inside the sandbox -------------------------------------------------------------------------


class Failure(Exception):
    pass


def journal_records(path):
    """Complete lines of a journal (0 when there is none)."""
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


class Runner:
    def __init__(self, args):
        self.nsplan = args.nsplan
        self.src = args.source_dir
        self.parent = args.parent
        self.parent_dirs = [d for d in args.parent_dirs.split(",") if d]
        self.deadline = time.monotonic() + args.time_limit
        self.rng = random.Random(args.seed)
        self.messages = Counter()  # stderr lines of nsplan, normalised
        self.lock = threading.Lock()
        self.failures = []
        self.figures = Counter()
        self.baseline_nsfs = self.nsfs_mounts()
        self.verbose = args.verbose

    # ---- commands ----

    def cmd(self, verb, profile, *extra):
        return [self.nsplan, verb, profile, "--cgroup-parent", self.parent, *extra]

    def start(self, verb, profile, *extra, env=None):
        e = dict(os.environ)
        e.pop("NSPLAN_TEST_CRASH_AFTER", None)
        if env:
            e.update(env)
        return subprocess.Popen(self.cmd(verb, profile, *extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=e, preexec_fn=die_with_parent)

    def finish(self, proc, what, timeout=60):
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise Failure(f"{what}: hung for {timeout} s; killed\nstdout:\n{out}\nstderr:\n{err}")
        self.note_messages(err)
        return proc.returncode, out, err

    def run(self, verb, profile, *extra, env=None, timeout=60):
        return self.finish(self.start(verb, profile, *extra, env=env), f"nsplan {verb} {profile}", timeout)

    def timed_ok(self, verb, profile, *extra):
        """expect_ok, and how long the process ran (start to exit, not to the end of its output)."""
        proc = self.start(verb, profile, *extra)
        t0 = time.monotonic()  # from the exec, as the delayed kills count
        # A blocking wait (wait(timeout=) polls with sleeps of up to 50 ms); a timer kills a hang.
        watchdog = threading.Timer(60, proc.kill)
        watchdog.start()
        proc.wait()
        took = time.monotonic() - t0
        watchdog.cancel()
        if took >= 60:
            raise Failure(f"nsplan {verb} {profile}: hung for 60 s; killed")
        rc, out, err = self.finish(proc, f"nsplan {verb} {profile}")
        if rc != 0:
            raise Failure(f"nsplan {verb} {profile} exited {rc}\nstdout:\n{out}\nstderr:\n{err}")
        return out, took

    def note_messages(self, err):
        with self.lock:
            for line in err.splitlines():
                if not line.strip() or line.startswith(" "):
                    continue  # source excerpts, carets and hints belong to the line before
                # Paths of the copies differ only by their index: one entry for all.
                norm = re.sub(r"nspt-c\d+-", "nspt-cN-", line)
                norm = re.sub(r"nspt\d+", "nsptN", norm)
                norm = re.sub(r"pid \d+", "pid N", norm)
                self.messages[norm] += 1

    def expect_ok(self, verb, profile, *extra, timeout=60):
        rc, out, err = self.run(verb, profile, *extra, timeout=timeout)
        if rc != 0:
            raise Failure(f"nsplan {verb} {profile} exited {rc}\nstdout:\n{out}\nstderr:\n{err}")
        return out

    def status_missing(self, profile, want_present=True):
        # status exits 4 when something is not in place, and lists it
        rc, out, err = self.run("status", profile, "--json", timeout=60)
        if rc not in (0, 4):
            raise Failure(f"nsplan status {profile} exited {rc}\nstdout:\n{out}\nstderr:\n{err}")
        try:
            items = json.loads(out)["items"]
        except (ValueError, KeyError) as e:
            raise Failure(f"status --json of {profile}: {e}\n{out}")
        return [i["key"] for i in items if i["present"] != want_present]

    # ---- what is left ----

    def nsfs_mounts(self):
        out = set()
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                dash = fields.index("-")
                if fields[dash + 1] == "nsfs":
                    out.add(fields[4] + " " + fields[3])
        return out

    def links(self):
        r = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True)
        names = []
        for line in r.stdout.splitlines():
            parts = line.split(": ")
            if len(parts) >= 2:
                names.append(parts[1].split("@")[0])
        return names

    def leftovers(self, names):
        left = []
        for d in self.parent_dirs:
            for dirpath, dirnames, _ in os.walk(d):
                left += ["cgroup " + os.path.join(dirpath, n) for n in dirnames]
        for _ in range(300):  # veth peers of deleted namespaces go asynchronously
            extra = [l for l in self.links() if l != "lo"]
            if not extra:
                break
            time.sleep(0.01)
        left += ["link " + l for l in extra]
        if os.path.isdir("/run/netns"):
            left += ["netns " + n for n in os.listdir("/run/netns")]
        left += ["nsfs mount " + m for m in self.nsfs_mounts() - self.baseline_nsfs]
        if os.path.isdir("/run/nsplan"):
            left += ["file /run/nsplan/" + f for f in os.listdir("/run/nsplan") if not f.endswith(".lock")]
        return left

    def check_clean(self, names, when):
        left = self.leftovers(names)
        if left:
            raise Failure(f"left behind {when}:\n  " + "\n  ".join(left))

    def time_left(self):
        return self.deadline - time.monotonic()

    # ---- (a) kills ----

    def clean_apply(self, path):
        out, took = self.timed_ok("apply", path)
        m = re.search(r"(\d+) change\(s\)", out)
        if not m:
            raise Failure(f"no change count in the output of apply {path}:\n{out}")
        return int(m.group(1)), took

    def kill_rounds(self, path, rounds):
        name = os.path.basename(path)[:-5]
        # How long a whole apply takes here (process start to exit), the median of three: the
        # delayed kills are spread uniformly over that time (a few land after the end).
        times = []
        for _ in range(3):
            changes, took = self.clean_apply(path)
            times.append(took)
            self.expect_ok("destroy", path)
            self.check_clean([name], f"after a clean apply + destroy of {name}")
        took = sorted(times)[1]
        window = 1.2 * took
        log(f"(a) {name}: a clean apply makes {changes} changes in {took * 1000:.0f} ms; "
            f"kills after 0..~{window * 1000:.0f} ms (adapted as the rounds go) or NSPLAN_TEST_CRASH_AFTER=1..{changes}")
        journal = f"/run/nsplan/{name}.journal"
        for r in range(rounds):
            if self.time_left() < 0:
                raise Failure(f"time limit reached after {r} kill rounds of {name}")
            how = ""
            if r % 2 == 0:
                # The window 0..D follows what happens: D shrinks by 15% when the apply finished
                # before the kill and grows by 5% when the kill landed, so that about a quarter
                # of the kills come after the end and the rest spread over the whole apply
                # (much of it start-up: probe, compile, lock, journal replay; the
                # NSPLAN_TEST_CRASH_AFTER rounds cover every change).
                max_delay = window
                delay = self.rng.uniform(0, max_delay)
                proc = self.start("apply", path)
                time.sleep(delay)
                killed = proc.poll() is None
                if killed:
                    proc.send_signal(signal.SIGKILL)
                rc, out, err = self.finish(proc, f"apply of {name} killed after {delay * 1000:.0f} ms")
                if self.verbose:
                    log(f"  round {r}: kill after {delay * 1000:.0f} ms of 0..{max_delay * 1000:.0f}: "
                        + (f"exit {rc}" if rc >= 0 else f"signal {-rc}"))
                how = f"SIGKILL after {delay * 1000:.1f} ms"
                window = window * 1.05 if (killed and rc == -signal.SIGKILL) else window * 0.85
                if killed and rc == -signal.SIGKILL:
                    self.figures["kills landed (delay)"] += 1
                    if journal_records(journal) > 0:
                        self.figures["kills landed (delay): journal records left (mid-transaction)"] += 1
                    else:
                        self.figures["kills landed (delay): no journal record (start-up, or after the last change)"] += 1
                else:
                    self.figures["applies that finished before the kill"] += 1
                    if rc != 0:
                        raise Failure(f"round {r}: apply of {name} exited {rc} before it was killed\n{err}")
            else:
                k = self.rng.randint(1, changes)
                rc, out, err = self.run("apply", path, env={"NSPLAN_TEST_CRASH_AFTER": str(k)})
                how = f"NSPLAN_TEST_CRASH_AFTER={k}"
                if rc != -signal.SIGKILL:
                    raise Failure(f"round {r}: apply of {name} with {how} was not killed (exit {rc})\n{out}\n{err}")
                self.figures["kills landed (crash after K)"] += 1
                lines = journal_records(journal)
                if lines != k:
                    raise Failure(f"round {r}: {how}: the journal holds {lines} record(s), expected {k}")
            # A journal with at least one complete record is taken back by the next apply (a
            # torn last line is ignored: the kill came while it was written).
            interrupted = journal_records(journal) > 0
            self.figures["kills that left a journal"] += interrupted
            out = self.expect_ok("apply", path)
            if interrupted and "recovered an interrupted apply" not in out:
                raise Failure(f"round {r} ({how}): the journal was there but apply did not say it recovered\n{out}")
            missing = self.status_missing(path)
            if missing:
                raise Failure(f"round {r} ({how}): after apply, status shows missing: {missing}")
            if r % 5 == 4:
                delay = self.rng.uniform(0, 2 * window)
                proc = self.start("destroy", path)
                time.sleep(delay)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    self.figures["destroys killed"] += 1
                self.finish(proc, f"destroy of {name} killed after {delay * 1000:.0f} ms")
            self.expect_ok("destroy", path)
            present = self.status_missing(path, want_present=False)
            if present:
                raise Failure(f"round {r} ({how}): after destroy, status shows present: {present}")
            self.check_clean([name], f"after round {r} of {name} ({how}), apply, destroy")
            self.figures["kill rounds"] += 1

    # ---- (b) concurrency ----

    def make_copies(self, workdir, shared_ancestor):
        shipped = sorted(n[:-5] for n in os.listdir(os.path.join(self.src, "profiles")) if n.endswith(".yaml"))
        copies = []
        for i in range(8):
            base = shipped[i % len(shipped)]
            with open(os.path.join(self.src, "profiles", base + ".yaml")) as f:
                text = f.read()
            new = f"nspt-c{i}-{base}"
            text = re.sub(r"(?m)^name: .*$", f"name: {new}", text)
            # lab: namespaces, links (<= 15 bytes), addresses, gateways.
            for old, rep in (("veth-lab-a", f"nspt{i}va"), ("veth-lab-b", f"nspt{i}vb"), ("br-lab", f"nspt{i}br"),
                             ("lab-a", f"nspt-c{i}-a"), ("lab-b", f"nspt-c{i}-b")):
                text = re.sub(r"(?<![\w-])" + re.escape(old) + r"(?![\w-])", rep, text)
            text = text.replace("10.77.0.", f"10.77.{i}.")
            # cgroups: firefox names its path; the others default to nsplan/NAME.
            text = re.sub(r"(?m)^(\s*path:\s*)memlimit\b", rf"\g<1>nspt-c{i}-memlimit", text)
            if not shared_ancestor and base != "firefox" and re.search(r"(?m)^cgroup:", text):
                text = re.sub(r"(?m)^cgroup:.*$", f"cgroup:\n  path: nspt-c{i}-{base}", text, count=1)
            path = os.path.join(workdir, new + ".yaml")
            with open(path, "w") as f:
                f.write(text)
            r = subprocess.run([self.nsplan, "check", path], capture_output=True, text=True)
            if r.returncode != 0:
                raise Failure(f"the copy {path} is not valid:\n{r.stderr}\n{text}")
            copies.append(path)
        return copies

    def concurrent_rounds(self, rounds, shared_ancestor):
        workdir = tempfile.mkdtemp(prefix="nsplan-t-stress-", dir="/run")
        copies = self.make_copies(workdir, shared_ancestor)
        names = [os.path.basename(p)[:-5] for p in copies]
        log(f"(b) {len(copies)} profiles: {', '.join(names)}")
        for r in range(rounds):
            if self.time_left() < 0:
                raise Failure(f"time limit reached after {r} concurrent rounds")
            if r % 2 == 0:
                procs = [(p, self.start("apply", p)) for p in copies]
                results = [(p,) + self.finish(proc, f"apply of {p}") for p, proc in procs]
                bad = [f"{p}: exit {rc}\n{err}" for p, rc, out, err in results if rc != 0]
                if bad:
                    raise Failure(f"concurrent round {r}: apply failed:\n" + "\n".join(bad))
                for p in copies:
                    missing = self.status_missing(p)
                    if missing:
                        raise Failure(f"concurrent round {r}: {p}: after all applies, status shows missing: {missing}")
                procs = [(p, self.start("destroy", p)) for p in copies]
                results = [(p,) + self.finish(proc, f"destroy of {p}") for p, proc in procs]
                bad = [f"{p}: exit {rc}\n{err}" for p, rc, out, err in results if rc != 0]
                if bad:
                    raise Failure(f"concurrent round {r}: destroy failed:\n" + "\n".join(bad))
            else:
                errors = []

                def pipeline(p):
                    try:
                        time.sleep(self.rng.uniform(0, 0.05))
                        self.expect_ok("apply", p)
                        missing = self.status_missing(p)
                        if missing:
                            raise Failure(f"{p}: after apply, status shows missing: {missing}")
                        self.expect_ok("destroy", p)
                    except Failure as e:
                        with self.lock:
                            errors.append(str(e))

                threads = [threading.Thread(target=pipeline, args=(p,)) for p in copies]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                if errors:
                    raise Failure(f"concurrent round {r} (overlapping pipelines):\n" + "\n".join(errors))
            if shared_ancestor:
                # Known and documented: the shared ancestor 'nsplan' is made by whichever profile
                # comes first and stays when that one is destroyed while others are below it;
                # then no profile owns it and it outlives them all. Counted and removed here (it
                # is below our own parent), so that the rounds look for races, not for this.
                for d in self.parent_dirs:
                    anc = os.path.join(d, "nsplan")
                    if os.path.isdir(anc) and not any(os.path.isdir(os.path.join(anc, n)) for n in os.listdir(anc)):
                        os.rmdir(anc)
                        self.figures["ownerless shared ancestors removed by the test"] += 1
            self.check_clean(names, f"after concurrent round {r}")
            self.figures["concurrent rounds"] += 1
            self.figures["concurrent applies"] += len(copies)
        shutil.rmtree(workdir, ignore_errors=True)

    # ---- report ----

    def report(self):
        log("\nfigures:")
        for k, v in sorted(self.figures.items()):
            log(f"  {k}: {v}")
        log("\nmessages nsplan printed on stderr (count, text):")
        odd = []
        for msg, n in sorted(self.messages.items(), key=lambda x: -x[1]):
            log(f"  {n:5d}  {msg}")
            located = re.match(r"^\S+:\d+:\d+: (error|warning): ", msg)
            if not located and not msg.startswith("nsplan: error: "):
                odd.append(msg)
        if odd:
            self.failures.append("messages that are neither a located diagnostic nor 'nsplan: error:':\n  " +
                                 "\n  ".join(odd))


def inner(args):
    # The sandbox: a private /run, lo up.
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,nosuid,nodev", "tmpfs", "/run"], check=True)
    # /etc as an overlay whose changes stay in that tmpfs (net.etc writes /etc/netns/NAME).
    os.makedirs("/run/.nsplan-t-etc/up")
    os.makedirs("/run/.nsplan-t-etc/work")
    subprocess.run(["mount", "-t", "overlay", "-o",
                    "lowerdir=/etc,upperdir=/run/.nsplan-t-etc/up,workdir=/run/.nsplan-t-etc/work", "overlay", "/etc"], check=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    r = Runner(args)
    t0 = time.monotonic()
    try:
        for name in ("lab", "build-jail"):
            r.kill_rounds(os.path.join(args.source_dir, "profiles", name + ".yaml"), args.kill_rounds)
        r.concurrent_rounds(args.concurrent_rounds, args.shared_ancestor)
    except Failure as e:
        r.failures.append(str(e))
    except Exception:  # a bug of this script, or the binary went away: still report and fail
        import traceback
        r.failures.append(traceback.format_exc())
    r.report()
    log(f"\n{time.monotonic() - t0:.0f} s, seed {args.seed}")
    if r.failures:
        log("\nFAILED:")
        for f in r.failures:
            log(f)
        return 1
    log("OK: every round consistent, nothing leaked")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("nsplan")
    ap.add_argument("source_dir")
    ap.add_argument("--kill-rounds", type=int, default=50)
    ap.add_argument("--concurrent-rounds", type=int, default=50)
    ap.add_argument("--time-limit", type=int, default=540, help="seconds for all rounds (the sandbox is killed 60 s later)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--shared-ancestor", action="store_true",
                    help="copies of build-jail and isolated-shell keep their default cgroup path nsplan/NAME "
                         "(they share the ancestor 'nsplan')")
    ap.add_argument("--verbose", action="store_true", help="one line per delayed kill")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--parent", help=argparse.SUPPRESS)
    ap.add_argument("--parent-dirs", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    if args.inner:
        return inner(args)
    log(f"seed {args.seed} (reproduce the same random choices with --seed {args.seed})")
    return outer(args)


if __name__ == "__main__":
    sys.exit(main())

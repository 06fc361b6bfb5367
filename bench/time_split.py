"""Driver of bench/time_split.sh (run inside its sandbox): ROUNDS PROFILE NSPLAN"""
import collections
import os
import re
import statistics
import subprocess
import sys
import time

from copies import copies_beside

rounds, profile, nsplan = int(sys.argv[1]), sys.argv[2], sys.argv[3]
# One sample per 100 µs of CPU (cpu-clock, a software event: no PMU needed). Shorter periods
# distort what they measure: at 10 µs the sampling interrupts took more time here than the floor.
PERIOD_US = 100

# A syscall's samples are named by the frame do_syscall_64 called, without its wrappers' prefixes.
SYSCALL_PREFIX = re.compile(r"^(?:__x64_sys_|__do_sys_|___sys_|__sys_|__se_sys_|ksys_)+")
# Calls that do one job under two names (nsplan's libnl sends with sendmsg, the floor with sendto),
# and the entry and exit path itself, which the sample names by whatever ran there.
SAME_JOB = {
    "sendmsg": "netlink send", "sendto": "netlink send",
    "recvmsg": "netlink receive", "recvfrom": "netlink receive",
    "x64_sys_call": "syscall entry and exit", "exit_to_user_mode_loop": "syscall entry and exit",
    "__raw_callee_save_pvm_irq_enable": "syscall entry and exit",
}


def kind_of(frames):
    """The kind of one sample, from its call chain (innermost frame first)."""
    if not frames or not frames[0][0].startswith("ffff"):
        return "user space"
    for i, (_, sym) in enumerate(frames):
        if "exc_page_fault" in sym:
            return "page faults"
        if sym == "do_syscall_64" and i > 0:
            name = SYSCALL_PREFIX.sub("", frames[i - 1][1])
            return "exec" if name == "execve" else SAME_JOB.get(name, name)
        if sym.startswith(("asm_sysvec", "asm_common_interrupt")):
            return "interrupts"
    return "kernel, other"


def samples(data, program):
    """Kinds of the samples taken in PROGRAM (not in perf's own child before its exec)."""
    text = subprocess.run(["perf", "script", "-i", data, "-F", "comm,ip,sym"],
                          capture_output=True, text=True, check=True).stdout
    counts = collections.Counter()
    for block in text.strip().split("\n\n"):
        lines = block.strip().splitlines()
        if not lines or lines[0].strip() != program:
            continue
        frames = [tuple((line.split(None, 1) + ["?"])[:2]) for line in lines[1:]]
        counts[kind_of(frames)] += 1
    return counts


def cpu_ms(argv):
    """CPU time of one whole process, not sampled (rusage)."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv} exited {os.waitstatus_to_exitcode(status)}")
    return (ru.ru_utime + ru.ru_stime) * 1e3


def record(argv, out):
    """perf record of one whole process (the exec included), quiet."""
    subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-c", str(PERIOD_US * 1000),
                    "-g", "--kernel-callchains", "-o", out, "--", *argv],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


# Both programs run from fresh copies beside the given nsplan, as in fixed_cost.py (copies.py).
copies = copies_beside([nsplan, "/run/lab_floor"])
exe, floor = copies[nsplan][0], copies["/run/lab_floor"][0]
totals = {"nsplan": collections.Counter(), "floor": collections.Counter()}
measured = {"nsplan": [], "floor": []}
setup = {"nsplan": [exe, "apply", profile], "floor": [floor, "setup"]}
teardown = {"nsplan": [exe, "destroy", profile], "floor": [floor, "teardown"]}


def once(who, sampled):
    if sampled:
        record(setup[who], f"/run/{who}.data")
        totals[who] += samples(f"/run/{who}.data", os.path.basename(setup[who][0]))
    else:
        measured[who].append(cpu_ms(setup[who]))
    time.sleep(0.2)
    subprocess.run(teardown[who], stdout=subprocess.DEVNULL, check=True)
    time.sleep(0.4)


for r in range(rounds):
    for who in ("floor", "nsplan"):
        once(who, sampled=False)
        once(who, sampled=True)

# Sampling costs CPU itself (at 100 µs, ~1.4x here), so the samples give each kind's share of a
# program's time, and the unsampled runs its CPU time: a kind's time is its share of that.
cpu = {who: statistics.median(v) for who, v in measured.items()}
share = {who: {k: n / sum(c.values()) for k, n in c.items()} for who, c in totals.items()}


def ms(who, kind):
    return share[who].get(kind, 0) * cpu[who]


kinds = sorted(set(totals["nsplan"]) | set(totals["floor"]), key=lambda k: -(ms("nsplan", k) + ms("floor", k)))
big = [k for k in kinds if ms("nsplan", k) + ms("floor", k) >= 0.02 * cpu["floor"]]
print(f"{rounds} rounds. CPU ms per run, unsampled medians, split in the shares of perf's cpu-clock "
      f"samples (every {PERIOD_US} µs) of as many sampled runs; and each as a share of the floor's setup")
print(f"{'kind':<24} {'nsplan apply':>12} {'floor setup':>12} {'nsplan':>8} {'floor':>7}")


def row(name, n, f):
    print(f"{name:<24} {n:12.2f} {f:12.2f} {n / cpu['floor']:8.0%} {f / cpu['floor']:7.0%}")


for k in big:
    row(k, ms("nsplan", k), ms("floor", k))
row("the rest", sum(ms("nsplan", k) for k in kinds if k not in big),
    sum(ms("floor", k) for k in kinds if k not in big))
row("whole run", cpu["nsplan"], cpu["floor"])
kernel = cpu["nsplan"] - ms("nsplan", "user space")
print(f"nsplan apply / floor setup: {cpu['nsplan'] / cpu['floor']:.2f}x in CPU; "
      f"nsplan's kernel side alone: {kernel / cpu['floor']:.2f}x")

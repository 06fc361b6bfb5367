"""Driver of bench/fixed_cost.sh (run inside its sandbox): ROUNDS PROFILE NSPLAN..."""
import os
import statistics
import subprocess
import sys
import time

from copies import copies_beside

rounds, profile, binaries = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
floor = "/run/lab_floor"

# Each program runs from copies made now, side by side, used in turn round by round (copies.py).
COPIES = 4
copies = copies_beside(binaries + [floor], COPIES)


def run(argv, any_status=False):
    """Wall ms, CPU ms and minor faults of one whole process."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if not any_status and os.waitstatus_to_exitcode(status) not in (0, 4):  # plan: 4, changes pending
        sys.exit(f"{argv} exited {os.waitstatus_to_exitcode(status)}")
    return wall * 1e3, (ru.ru_utime + ru.ru_stime) * 1e3, ru.ru_minflt


results = {}


def record(key, value):
    results.setdefault(key, []).append(value)


for r in range(rounds):
    shift = r % len(binaries)
    for b in binaries[shift:] + binaries[:shift]:  # the order rotates
        exe = copies[b][r % COPIES]
        record((b, "version"), run([exe, "--version"]))
        record((b, "plan"), run([exe, "plan", profile]))
        record((b, "apply"), run([exe, "apply", profile]))
        time.sleep(0.2)  # the pauses of bench.py
        record((b, "status"), run([exe, "status", profile]))
        record((b, "destroy"), run([exe, "destroy", profile]))  # by file, as bench.py: the file is checked
        time.sleep(0.4)
    exe = copies[floor][r % COPIES]
    record(("floor", "version"), run([exe], any_status=True))  # usage error: start and exit
    record(("floor", "apply"), run([exe, "setup"]))
    time.sleep(0.2)
    record(("floor", "destroy"), run([exe, "teardown"]))
    time.sleep(0.4)

med = {k: tuple(statistics.median(x[i] for x in v) for i in range(3)) for k, v in results.items()}
print(f"{rounds} rounds, medians: wall ms / CPU ms / page faults")
for b in binaries + ["floor"]:
    cells = [f"{c} {med[(b, c)][0]:.2f} / {med[(b, c)][1]:.2f} / {med[(b, c)][2]:.0f}"
             for c in ("version", "plan", "apply", "status", "destroy") if (b, c) in med]
    print(f"{b}: " + "; ".join(cells))
for b in binaries:
    up = med[(b, "apply")][0] / med[("floor", "apply")][0]
    total = (med[(b, "apply")][0] + med[(b, "destroy")][0]) / (med[("floor", "apply")][0] + med[("floor", "destroy")][0])
    print(f"{b}: apply / floor setup {up:.2f}x, apply + destroy / floor {total:.2f}x")

"""Fresh copies of the programs a driver times, made side by side (fixed_cost.py, time_split.py).

The copies sit on the first program's filesystem, as an installed nsplan would (not the
sandbox's tmpfs): started from tmpfs, nsplan took 0.27 ms more here (its page cache in small
pages; the floor, 30 times smaller, 0.05 ms). And copies of one file made at different times
started up to 0.4 ms apart over 40 rounds, which an A/B comparison would take for the change
(docs/performance.md, "A fourth pass"). The copies are removed when the driver exits.
"""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile

# Set by huge_text.sh: a program that re-reads a file into 2 MB page-cache folios, and the
# programs (':'-separated) whose copies it is run on.
RECACHE = os.environ.get("NSPLAN_BENCH_RECACHE")
RECACHE_FOR = set(os.environ.get("NSPLAN_BENCH_RECACHE_FOR", "").split(":")) - {""}


def copies_beside(programs, count=1):
    """{program: [count paths of fresh copies]}, all in one new directory beside programs[0]."""
    where = tempfile.mkdtemp(prefix=".bench-copies-", dir=os.path.dirname(os.path.abspath(programs[0])))
    atexit.register(shutil.rmtree, where, True)
    # atexit runs on a normal exit and on Ctrl-C (KeyboardInterrupt), not when a signal kills Python.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, _frame: sys.exit(128 + number))
    copies = {}
    for i, program in enumerate(programs):
        copies[program] = []
        for k in range(count):
            copies[program].append(os.path.join(where, f"{i}-{k}"))
            shutil.copyfile(program, copies[program][-1])
            os.chmod(copies[program][-1], 0o755)
            if RECACHE and program in RECACHE_FOR:
                subprocess.run([RECACHE, copies[program][-1]], check=True, stdout=subprocess.DEVNULL)
    return copies

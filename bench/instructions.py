"""Driver of bench/instructions.sh (run inside its sandbox): PROFILE FLOOR NSPLAN..."""
import os
import re
import subprocess
import sys
import tempfile

profile, floor, binaries = sys.argv[1], sys.argv[2], sys.argv[3:]

# The phases of `nsplan apply`, each the inclusive count of one function; what main spends
# outside them is the command line (CLI11) and the output.
PHASES = [
    ("YAML parse", "nsplan::parse_yaml("),
    ("compile", "(anonymous namespace)::compile("),
    ("host probe", "(anonymous namespace)::target_facts("),
    ("transaction", "nsplan::cli::run_apply("),
    ("  journal records", "Transaction::journal_record("),
    ("  state file", "nsplan::applier::ProfileState::save("),
    ("  settle", "nsplan::applier::Kernel::settle_links("),
]


def callgrind(argv, out_dir, name, statuses=(0, 4)):
    """User-space instructions of one run: the total and the inclusive count of each function."""
    out = os.path.join(out_dir, name)
    p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode not in statuses:  # plan: 4, changes pending
        sys.exit(f"{argv} exited {p.returncode}:\n{p.stderr}")
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                          capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"^\s*([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", text, re.M)[1].replace(",", ""))
    counts = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([\d,]+) \([\s\d.]+%\)\s+\?\?\?:(.*?) \[", line)  # COUNT (PCT%)  ???:FUNCTION [BINARY]
        if m and not re.search(r"'\d+$", m[2]):  # NAME'N: a recursion level, inside NAME's count
            counts.setdefault(m[2], int(m[1].replace(",", "")))
    return total, counts


def inclusive(counts, needle):
    return max((n for f, n in counts.items() if needle in f), default=0)


def k(n):
    return f"{n / 1000:,.0f}k"


with tempfile.TemporaryDirectory(prefix="nsplan-t-callgrind-") as out_dir:
    rows = []  # one per binary, in order (the same one may be given twice)
    for i, b in enumerate(binaries):
        # Without debug information callgrind names each function once; with it, a function's
        # code inlined from headers is counted apart, under each header's name.
        exe = os.path.join(out_dir, f"{i}-nsplan")
        subprocess.run(["objcopy", "--strip-debug", b, exe], check=True)
        version, _ = callgrind([exe, "--version"], out_dir, f"{i}.version")
        plan, _ = callgrind([exe, "plan", profile], out_dir, f"{i}.plan")
        apply, counts = callgrind([exe, "apply", profile], out_dir, f"{i}.apply")
        subprocess.run([exe, "destroy", profile], stdout=subprocess.DEVNULL, check=True)
        main = counts["main"]
        phases = {name: inclusive(counts, needle) for name, needle in PHASES}
        outside = main - phases["compile"] - phases["host probe"] - phases["transaction"]
        rows.append(dict(version=version, plan=plan, apply=apply, start=apply - main, cli=outside,
                       compile_rest=phases["compile"] - phases["YAML parse"], **phases))
    floor_start, _ = callgrind([floor], out_dir, "floor.start", statuses=(1,))  # usage error: start, exit
    floor_setup, _ = callgrind([floor, "setup"], out_dir, "floor.setup")
    subprocess.run([floor, "teardown"], stdout=subprocess.DEVNULL, check=True)

lines = [
    ("--version", "version"), ("plan", "plan"), ("apply", "apply"),
    ("apply: start, before main", "start"), ("apply: command line and output", "cli"),
    ("apply: host probe", "host probe"), ("apply: YAML parse (yaml-cpp)", "YAML parse"),
    ("apply: compile, the rest", "compile_rest"), ("apply: the transaction", "transaction"),
]
lines += [(f"apply: {name.strip()} (in the transaction)", name) for name, _ in PHASES[4:]]
print("user-space instructions (callgrind), one run each, of")
for i, b in enumerate(binaries):
    print(f"  [{i + 1}] {b}")
width = max(len(label) for label, _ in lines)
print(" " * width + "".join(f"  {f'[{i + 1}]':>10}" for i in range(len(binaries))) + f"  {'floor':>10}")
floor_cells = {"version": k(floor_start), "apply": k(floor_setup)}  # by row key: its start, its setup
for label, key in lines:
    floor_cell = floor_cells.get(key, "")
    print(f"{label:<{width}}" + "".join(f"  {k(row[key]):>10}" for row in rows) + f"  {floor_cell:>10}")

#!/usr/bin/env python3
"""nsplan export, run as a user would, on every profile in profiles/ and tests/golden/cases/.

oci:     the document is valid against the OCI runtime-spec JSON Schema (config-schema.json and
         the files it refers to, from Debian's golang-github-opencontainers-specs-dev), the same
         bytes twice; a broken document is refused by the same validator (so the references
         into defs*.json are really followed).
systemd: each drop-in is read by `systemd-analyze verify` next to a test unit in a temporary
         directory (nothing is installed in /etc or /run): systemd may say nothing about any line
         of it (an unknown key, a value it cannot parse), must list it as the unit's drop-in, and
         shows each byte or count value as the drop-in gives it.
--strict: a profile with what the target cannot express exits 1 and prints no document.

usage: export_test.py NSPLAN SOURCE_DIR
"""
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jsonschema

SCHEMA_DIR = "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema"

nsplan, src = os.path.abspath(sys.argv[1]), sys.argv[2]
os.chdir(src)
failures = []


def fail(what):
    failures.append(what)
    print("FAIL:", what)


def export(target, profile, *extra):
    return subprocess.run([nsplan, "export", target, profile, *extra], capture_output=True, text=True)


def oci_validator():
    """A draft-04 validator of config-schema.json whose relative $refs resolve to its sibling files."""
    if not os.path.isfile(os.path.join(SCHEMA_DIR, "config-schema.json")):
        print(f"FAIL: no OCI runtime-spec schema in {SCHEMA_DIR}: apt-get install golang-github-opencontainers-specs-dev")
        sys.exit(1)
    schemas = {}
    for path in glob.glob(os.path.join(SCHEMA_DIR, "*.json")):
        with open(path) as f:
            schemas["file://" + path] = json.load(f)
    main_uri = "file://" + os.path.join(SCHEMA_DIR, "config-schema.json")
    try:  # jsonschema >= 4.18
        from referencing import Registry
        from referencing.jsonschema import DRAFT4
        registry = Registry().with_resources((uri, DRAFT4.create_resource(s)) for uri, s in schemas.items())
        return jsonschema.Draft4Validator({"$ref": main_uri}, registry=registry)
    except ImportError:  # Debian 12's 4.10
        resolver = jsonschema.RefResolver(base_uri=main_uri, referrer=schemas[main_uri], store=schemas)
        return jsonschema.Draft4Validator(schemas[main_uri], resolver=resolver)


profiles = sorted(glob.glob("profiles/*.yaml") + glob.glob("tests/golden/cases/*.yaml"))
if not profiles:
    fail("no profiles found")

# ---- oci ---------------------------------------------------------------------------------------
validator = oci_validator()
broken = {"ociVersion": "1.0.2-dev", "root": {"path": "/"},
          "linux": {"resources": {"hugepageLimits": [{"pageSize": "2M", "limit": 1}], "pids": {}}}}
if len(list(validator.iter_errors(broken))) < 2:
    fail("the OCI validator accepts a document with a bad pageSize and pids without limit")

for profile in profiles:
    p = export("oci", profile)
    if p.returncode != 0:
        fail(f"export oci {profile}: exit {p.returncode}\n{p.stderr}")
        continue
    if export("oci", profile).stdout != p.stdout:
        fail(f"export oci {profile}: two runs print different documents")
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        fail(f"export oci {profile}: not JSON: {e}")
        continue
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.path))[:5]:
        fail(f"export oci {profile}: {'/'.join(map(str, e.path))}: {e.message[:300]}")
    for line in p.stderr.splitlines():
        if re.search(r": (warning|error): ", line) and not re.match(r"^[^:]+:\d+:\d+: ", line):
            fail(f"export oci {profile}: a diagnostic without a location: {line}")
    print(f"ok: export oci {profile} is valid ({p.stderr.count(': warning: ')} warnings)")

# ---- systemd -----------------------------------------------------------------------------------
analyze = shutil.which("systemd-analyze")
if not analyze:
    fail("systemd-analyze is not installed (apt-get install systemd; no running systemd is needed)")


def verify(dropin_text):
    """systemd-analyze verify of a test unit with DROPIN_TEXT as its drop-in, in a temporary
    directory: (its whole output, its lines about the drop-in, whether it read the drop-in)."""
    tmp = tempfile.mkdtemp(prefix="nsplan-t-export-")
    try:
        unit = f"nsplan-export-test-{os.getpid()}.service"
        os.makedirs(os.path.join(tmp, unit + ".d"))
        with open(os.path.join(tmp, unit), "w") as f:
            f.write("[Unit]\nDescription=nsplan export test\n\n[Service]\nExecStart=/bin/true\n")
        dropin = os.path.join(tmp, unit + ".d", "nsplan.conf")
        with open(dropin, "w") as f:
            f.write(dropin_text)
        env = dict(os.environ, SYSTEMD_LOG_LEVEL="debug", SYSTEMD_LOG_COLOR="0")
        v = subprocess.run([analyze, "verify", "--man=no", os.path.join(tmp, unit)], capture_output=True, text=True, env=env)
        out = v.stdout + v.stderr
        return out, [line for line in out.splitlines() if dropin + ":" in line], "DropIn Path: " + dropin in out
    finally:
        shutil.rmtree(tmp)


if analyze:
    # The check below sees what systemd says about a drop-in's lines: an unknown key and a value
    # it cannot parse must be seen.
    _, said, read = verify("[Service]\nBogusKey=1\nCPUQuota=200%%\n")
    if not read or len(said) < 2:
        fail(f"systemd-analyze verify is not seen to complain about a bad drop-in: {said}")

for profile in profiles:
    p = export("systemd", profile)
    if p.returncode != 0:
        fail(f"export systemd {profile}: exit {p.returncode}\n{p.stderr}")
        continue
    if not analyze:
        continue
    out, said, read = verify(p.stdout)
    for line in said:
        fail(f"export systemd {profile}: systemd-analyze: {line}")
    if not read:
        fail(f"export systemd {profile}: systemd-analyze did not read the drop-in:\n{out[-2000:]}")
        continue
    # Values systemd shows as it stored them: bytes and counts, each as the drop-in says.
    for key, value in re.findall(r"^(MemoryMax|MemoryHigh|MemoryLow|MemoryMin|MemorySwapMax|TasksMax|CPUWeight|IOWeight)=(\d+)$",
                                 p.stdout, re.M):
        if not re.search(rf"^\s+{key}: {value}$", out, re.M):
            fail(f"export systemd {profile}: {key}={value} is not what systemd-analyze shows")
    print(f"ok: export systemd {profile} verifies ({p.stderr.count(': warning: ')} warnings)")

# ---- the same cgroup v2 files as nsplan's own plan ----------------------------------------------
# What each export makes a cgroup v2 host write (runc's and systemd's documented mappings) must be
# what `nsplan plan --json --cgroup v2` writes, file by file; a file the export does not write is
# one the target is documented not to express (docs/export.md).


def shares_to_weight(x):  # runc >= 1.4, as compiler/translate.h
    if x <= 2:
        return 1
    if x >= 262144:
        return 10000
    l = math.log2(x)
    return math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34))


def io_max_lines(limits):
    return {f"{dev} rbps={v.get('rbps', 'max')} wbps={v.get('wbps', 'max')} riops={v.get('riops', 'max')} wiops={v.get('wiops', 'max')}"
            for dev, v in limits.items()}


def oci_files(doc):
    r = doc.get("linux", {}).get("resources", {})
    out = {}
    add = lambda f, v: out.setdefault(f, set()).add(str(v))
    m = r.get("memory", {})
    if "limit" in m:
        add("memory.max", "max" if m["limit"] == -1 else m["limit"])
    if "swap" in m:
        add("memory.swap.max", "max" if m["swap"] == -1 else m["swap"] - m["limit"])
    if "reservation" in m and "memory.low" not in r.get("unified", {}):
        add("memory.low", m["reservation"])
    c = r.get("cpu", {})
    if "quota" in c:
        add("cpu.max", f"{'max' if c['quota'] == -1 else c['quota']} {c.get('period', 100000)}")
    for key, f in (("burst", "cpu.max.burst"), ("idle", "cpu.idle"), ("cpus", "cpuset.cpus"), ("mems", "cpuset.mems")):
        if key in c:
            add(f, c[key])
    if "shares" in c and "cpu.weight" not in r.get("unified", {}):
        add("cpu.weight", shares_to_weight(c["shares"]))
    if "pids" in r:
        add("pids.max", "max" if r["pids"]["limit"] == -1 else r["pids"]["limit"])
    for h in r.get("hugepageLimits", []):
        add(f"hugetlb.{h['pageSize']}.max", h["limit"])
    b = r.get("blockIO", {})
    limits = {}
    for field, key in (("throttleReadBpsDevice", "rbps"), ("throttleWriteBpsDevice", "wbps"),
                       ("throttleReadIOPSDevice", "riops"), ("throttleWriteIOPSDevice", "wiops")):
        for d in b.get(field, []):
            limits.setdefault(f"{d['major']}:{d['minor']}", {})[key] = d["rate"]
    for line in io_max_lines(limits):
        add("io.max", line)
    for d in b.get("weightDevice", []):
        add("io.weight", f"{d['major']}:{d['minor']} {d['weight']}")
    for dev, v in r.get("rdma", {}).items():
        add("rdma.max", f"{dev} hca_handle={v.get('hcaHandles', 'max')} hca_object={v.get('hcaObjects', 'max')}")
    for f, v in r.get("unified", {}).items():
        add(f, v)
    return out


def systemd_files(text):
    out = {}
    add = lambda f, v: out.setdefault(f, set()).add(str(v))
    plain = {"MemoryMax": "memory.max", "MemoryHigh": "memory.high", "MemoryLow": "memory.low", "MemoryMin": "memory.min",
             "MemorySwapMax": "memory.swap.max", "TasksMax": "pids.max", "AllowedCPUs": "cpuset.cpus",
             "AllowedMemoryNodes": "cpuset.mems"}
    period, quota, limits = 100000, None, {}
    for key, value in re.findall(r"^(\w+)=(.*)$", text, re.M):
        dev = lambda: value.split()[0].removeprefix("/dev/block/")
        if key in plain:
            add(plain[key], "max" if value == "infinity" else value)
        elif key == "OOMPolicy":
            add("memory.oom.group", 1 if value == "kill" else 0)
        elif key == "CPUWeight":
            add("cpu.idle" if value == "idle" else "cpu.weight", 1 if value == "idle" else value)
        elif key == "CPUQuotaPeriodSec":
            period = int(value.removesuffix("us"))
        elif key == "CPUQuota":
            quota = value
        elif key == "IOWeight":
            add("io.weight", f"default {value}")
        elif key == "IODeviceWeight":
            add("io.weight", f"{dev()} {value.split()[1]}")
        elif key in ("IOReadBandwidthMax", "IOWriteBandwidthMax", "IOReadIOPSMax", "IOWriteIOPSMax"):
            field = {"IOReadBandwidthMax": "rbps", "IOWriteBandwidthMax": "wbps", "IOReadIOPSMax": "riops", "IOWriteIOPSMax": "wiops"}[key]
            v = value.split()[1]
            limits.setdefault(dev(), {})[field] = "max" if v == "infinity" else v
    if quota is not None:  # systemd: quota = permyriad x period / 10000
        add("cpu.max", f"max {period}" if quota == "" else f"{round(float(quota.rstrip('%')) * 100) * period // 10000} {period}")
    for line in io_max_lines(limits):
        add("io.max", line)
    return out


# Files a target has no form for (docs/export.md); cpu.idle 0 is the kernel's default.
NOT_EXPRESSED = {"oci": set(), "systemd": {"cpu.max.burst", "cpu.uclamp.min", "cpu.uclamp.max", "memory.zswap.max", "misc.max", "rdma.max"}}
for profile in profiles:
    plan = subprocess.run([nsplan, "plan", profile, "--json", "--cgroup", "v2"], capture_output=True, text=True)
    writes = [(s["file"], s["value"]) for s in json.loads(plan.stdout)["steps"] if s["op"] == "write_cgroup_file"]
    for target, files in (("oci", lambda: oci_files(json.loads(export("oci", profile).stdout))),
                          ("systemd", lambda: systemd_files(export("systemd", profile).stdout))):
        exported = files()
        for f, v in writes:
            if str(v) in exported.get(f, set()):
                continue
            if f not in exported and (f in NOT_EXPRESSED[target] or (f == "cpu.idle" and v == "0") or
                                      (target == "systemd" and f.startswith("hugetlb."))):
                continue
            fail(f"export {target} {profile}: cgroup v2 {f} = {v!r} in nsplan's plan, {sorted(exported.get(f, []))} by the export")
    print(f"ok: export oci and systemd of {profile} write nsplan's cgroup v2 files ({len(writes)})")

# ---- hostile text ----------------------------------------------------------------------------
# Line breaks, quotes, '%' and '$' in the command and the environment stay inside their words:
# no directive can be slipped into the drop-in, and systemd reads each word back as written.
hostile_dir = tempfile.mkdtemp(prefix="nsplan-t-export-")
try:
    profile = os.path.join(hostile_dir, "hostile.yaml")
    with open(profile, "w") as f:
        f.write('nsplan: 1\nname: hostile\nrun:\n'
                '  command: [/bin/echo, "x\\nExecStartPre=/bin/false", "100% $HOME \\"q\\" \\\\"]\n'
                '  env: {A: "b\\nExecStartPre=/bin/false", B: "50%"}\n')
    p = export("systemd", profile)
finally:
    shutil.rmtree(hostile_dir)
if p.returncode != 0 or re.search(r"^ExecStartPre", p.stdout, re.M):
    fail(f"export systemd of a hostile profile: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
elif analyze:
    out, said, read = verify(p.stdout)
    if said or not read or "-> ExecStartPre" in out or "Environment: B=50%\n" not in out + "\n" or \
            'Command Line: /bin/echo "x\\nExecStartPre=/bin/false"' not in out:
        fail(f"systemd reads the hostile drop-in otherwise than written:\n{p.stdout}\n" +
             "\n".join(l for l in out.splitlines() if "Command Line" in l or "Environment" in l or "ExecStartPre" in l))

# Notes (nsplan's defaults, not the profile's words) are no losses: firefox exports to OCI under
# --strict, but not to systemd, whose unit cannot name its cgroup (cgroup.path).
p = export("oci", "profiles/firefox.yaml", "--strict")
if p.returncode != 0 or not p.stdout or ": note: " not in p.stderr:
    fail(f"export oci profiles/firefox.yaml --strict: exit {p.returncode}\n{p.stderr}")
p = export("systemd", "profiles/firefox.yaml", "--strict")
if p.returncode != 1 or p.stdout or "firefox.yaml:18:9: error: systemd cannot express a cgroup path" not in p.stderr:
    fail(f"export systemd profiles/firefox.yaml --strict: exit {p.returncode}\n{p.stderr}")

p = export("docker", "profiles/firefox.yaml")
if p.returncode != 2 or p.stdout:
    fail(f"export docker: exit {p.returncode}, expected 2 (usage) and no output")

# ---- --strict ------------------------------------------------------------------------------------
for target in ("oci", "systemd"):
    p = export(target, "profiles/lab.yaml", "--strict")
    if p.returncode != 1 or p.stdout != "" or ": error: " + target.replace("oci", "OCI") + " cannot express" not in p.stderr:
        fail(f"export {target} profiles/lab.yaml --strict: exit {p.returncode}, stdout {len(p.stdout)} bytes\n{p.stderr[:1000]}")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all export checks passed")

#!/usr/bin/env python3
"""Every --json document nsplan prints is valid against schema/nsplan-output.schema.json.

Runs real commands: plan, check, list, status, the error documents of an invalid profile and of
a failure on the system, and, as root with a private mount+net namespace (unshare), apply and
destroy of a network-only profile, its convergence and a failing apply that is rolled back.
Standard output must be exactly one JSON document (logs stay on standard error), the same bytes
twice for the same input, and the exit status that of the command without --json.

usage: json_schema_test.py NSPLAN SOURCE_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema

nsplan, src = os.path.abspath(sys.argv[1]), sys.argv[2]
os.chdir(src)
schema = json.load(open("schema/nsplan-output.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failures = []
kinds_seen = set()


def fail(what):
    failures.append(what)
    print("FAIL:", what)


def run(args, want, kind, sandbox=None, env=None):
    """Runs nsplan ARGS (in SANDBOX's namespace if given); checks status WANT and a valid KIND document."""
    cmd = [nsplan] + args
    if sandbox:
        cmd = ["nsenter", "--target", str(sandbox.pid), "--mount", "--net", "--"] + cmd
    p = subprocess.run(cmd, capture_output=True, env=env)
    what = " ".join(args)
    if p.returncode != want:
        fail(f"{what}: exit {p.returncode}, expected {want}\n{p.stderr.decode(errors='replace')}")
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        fail(f"{what}: stdout is not one JSON document ({e}):\n{p.stdout[:2000]!r}")
        return None
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:5]:
        fail(f"{what}: {'/'.join(map(str, e.path))}: {e.message[:300]}")
    if doc.get("kind") != kind:
        fail(f"{what}: kind {doc.get('kind')!r}, expected {kind!r}")
    kinds_seen.add(doc.get("kind"))
    return doc


tmp = tempfile.mkdtemp(prefix="nsplan-t-json-")
os.chmod(tmp, 0o700)
try:
    # plan, for each shipped profile and both hierarchies; byte-identical when run again.
    for p in sorted(os.listdir("profiles")):
        for v in ("v1", "v2"):
            run(["plan", "--json", "--cgroup", v, "profiles/" + p], 0, "plan")
    a = subprocess.run([nsplan, "plan", "--json", "--cgroup", "v1", "profiles/lab.yaml"], capture_output=True).stdout
    b = subprocess.run([nsplan, "plan", "--json", "--cgroup", "v1", "profiles/lab.yaml"], capture_output=True).stdout
    if a != b:
        fail("plan --json differs between two runs")
    # A plan with warnings: located diagnostics in the same form as everywhere.
    doc = run(["plan", "--json", "--cgroup", "v1", "tests/diagnostics/v1-lossy.yaml"], 0, "plan")
    if doc and not any(d["severity"] == "warning" and d["line"] for d in doc["diagnostics"]):
        fail("plan --json of a lossy profile has no located warning")

    # check: valid profiles, then invalid ones (exit 1, the diagnostics on stdout as JSON).
    doc = run(["check", "--json"] + ["profiles/" + p for p in sorted(os.listdir("profiles"))], 0, "check")
    if doc and not all(p["ok"] for p in doc["profiles"]):
        fail("check --json: a shipped profile is not ok")
    doc = run(["check", "--json", "tests/diagnostics/values.yaml", "profiles/lab.yaml"], 1, "check")
    if doc:
        bad = doc["profiles"][0]
        want = {"file": "tests/diagnostics/values.yaml", "line": 6, "column": 10, "severity": "error",
                "message": "bad unit 'X' in '3X'"}
        if not any(all(d.get(k) == v for k, v in want.items()) for d in bad["diagnostics"]):
            fail(f"check --json: no diagnostic {want}: {bad['diagnostics']}")
        if doc["ok"] or bad["ok"] or not doc["profiles"][1]["ok"]:
            fail("check --json: ok flags wrong")
    run(["check", "--json", "--cgroup", "v1", "--strict", "tests/diagnostics/v1-lossy.yaml"], 1, "check")
    run(["check", "--json", "does/not/exist.yaml"], 1, "check")

    # An invalid profile given to a command that plans: an error document with the diagnostics.
    doc = run(["plan", "--json", "--cgroup", "v2", "tests/diagnostics/values.yaml"], 1, "error")
    if doc and not doc["diagnostics"]:
        fail("plan --json of an invalid profile: no diagnostics")

    # diff: the kernel-level change between two profiles (exit 1 when they differ, as diff(1)).
    doc = run(["diff", "--json", "--cgroup", "v2", "profiles/firefox.yaml", "profiles/build-jail.yaml"], 1, "diff")
    if doc and (not doc["differ"] or not doc["changes"]):
        fail(f"diff --json of two profiles: {doc}")
    doc = run(["diff", "--json", "--cgroup", "v2", "profiles/firefox.yaml", "profiles/firefox.yaml"], 0, "diff")
    if doc and (doc["differ"] or doc["changes"]):
        fail(f"diff --json of a profile with itself: {doc}")
    # A usage error of a command given --json: an error document, exit status 2.
    doc = run(["apply", "--json"], 2, "error")
    if doc and doc["exit_status"] != 2:
        fail(f"apply --json without a profile: {doc}")
    run(["plan", "--json", "--no-such-option", "profiles/lab.yaml"], 2, "error")

    # Failures on the system (exit 3): the error message as JSON, nothing else on stdout.
    state = os.path.join(tmp, "state")
    doc = run(["status", "--json", "--state-dir", state, "nobody-applied-this"], 3, "error")
    if doc and "no profile named 'nobody-applied-this'" not in doc["message"]:
        fail(f"status --json of an unknown name: message {doc['message']!r}")
    if doc and not doc["errors"][0]["hints"]:
        fail("status --json of an unknown name: the hint is lost")
    for task in ("freeze", "thaw", "kill"):
        run([task, "--json", "--state-dir", state, "nobody-applied-this"], 3, "error")
    doc = run(["list", "--json", "--state-dir", state], 0, "list")
    if doc and doc["profiles"] != []:
        fail("list --json of an empty state dir lists profiles")

    # apply and destroy for real: root, in a private mount+net namespace with its own /run.
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("nsenter"):
        print("SKIP: apply/destroy --json need root, unshare and nsenter")
        if os.environ.get("CI") == "true":
            fail("in CI the apply/destroy/attach part must run, not skip")
    else:
        sandbox = subprocess.Popen(
            ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c",
             "mount -t tmpfs tmpfs /run && ip link set lo up && echo ready && exec sleep 600"],
            stdout=subprocess.PIPE)
        try:
            if sandbox.stdout.readline().strip() != b"ready":
                raise SystemExit("FAIL: the sandbox did not start")
            net = os.path.join(tmp, "net.yaml")
            links = """
    - name: nsptj-br
      kind: bridge
      addresses: [10.99.0.1/24]
    - name: nsptj-veth
      kind: veth
      master: nsptj-br
      peer: {name: eth0, netns: nsplan-t-jns, addresses: [10.99.0.2/24]}
"""
            def profile(links_text, extra=""):
                with open(net, "w") as f:
                    f.write("nsplan: 1\nname: nsplan-t-json\nnetwork:\n  namespaces: [nsplan-t-jns]\n  links:" + links_text + extra)

            profile(links)
            doc = run(["apply", "--json", "-v", net], 0, "apply", sandbox)
            if doc:
                if not doc["ok"] or not doc["changed"] or not doc["changes"]:
                    fail(f"apply --json: ok/changed/changes wrong: {doc}")
                made = {(c["action"], c["object"], c.get("link"), c.get("netns")) for c in doc["changes"]}
                for want in [("create", "link", "nsptj-br", None), ("create", "address", "eth0", "nsplan-t-jns"),
                             ("create", "netns", None, None)]:
                    if want not in made:
                        fail(f"apply --json: no change {want}: {sorted(map(str, made))}")
                if not all(c["from"] and c["from"].startswith(net + ":") for c in doc["changes"]):
                    fail("apply --json: a change without its profile line")
            doc = run(["apply", "--json", net], 0, "apply", sandbox)
            if doc and (doc["changed"] or doc["changes"]):
                fail(f"apply --json again: changed {doc['changed']}, changes {doc['changes']}")
            doc = run(["list", "--json"], 0, "list", sandbox)
            if doc and [(p["name"], p["state"]) for p in doc["profiles"]] != [("nsplan-t-json", "in_place")]:
                fail(f"list --json after apply: {doc['profiles']}")
            run(["status", "--json", "nsplan-t-json"], 0, "status", sandbox)
            # Converge: the bridge's address changes, the veth goes.
            profile("""
    - name: nsptj-br
      kind: bridge
      mtu: 1400
      addresses: [10.99.0.1/24]
""")
            # plan against the live system: what apply will report, as change records.
            doc = run(["plan", "--json", net], 4, "plan", sandbox)
            if doc and not (doc["diff"]["pending"] and any(
                    c["action"] == "modify" and c["object"] == "mtu" and c["after"] == "1400" and c["change"] == c["text"]
                    for c in doc["diff"]["changes"])):
                fail(f"plan --json: no pending mtu change record: {doc['diff']}")
            doc = run(["apply", "--json", net], 0, "apply", sandbox)
            if doc:
                if not any(c["action"] == "modify" and c["object"] == "mtu" and c["after"] == "1400" and c["before"]
                           for c in doc["changes"]):
                    fail(f"apply --json: no mtu change with before and after: {doc['changes']}")
                if not any(c["action"] == "delete" and c["object"] == "link" and c.get("link") == "nsptj-veth"
                           and c["from"] is None for c in doc["removed"]):
                    fail(f"apply --json: the veth's removal is not reported: {doc['removed']}")
            # A failing step: rolled back, reported as JSON, exit status 3.
            profile(links, "  routes:\n    - {to: 10.50.0.0/24, via: 10.98.0.1}\n")
            doc = run(["apply", "--json", net], 3, "apply", sandbox)
            if doc and (doc["ok"] or doc["changed"] or not doc["undone"] or not doc["error"]):
                fail(f"apply --json of a failing profile: {doc}")
            doc = run(["destroy", "--json", "nsplan-t-json"], 0, "destroy", sandbox)
            if doc and (not doc["changed"] or not any(c["action"] == "delete" for c in doc["removed"])):
                fail(f"destroy --json: {doc}")
            doc = run(["destroy", "--json", "nsplan-t-json"], 0, "destroy", sandbox)
            if doc and (doc["changed"] or doc["removed"]):
                fail(f"destroy --json again: {doc}")
            # attach: a process moved into a cgroup of the profile (removed with destroy --kill).
            cg = os.path.join(tmp, "cg.yaml")
            with open(cg, "w") as f:
                f.write(f"nsplan: 1\nname: nsplan-t-json-att\ncgroup:\n  path: nsplan-t-json-att-{os.getpid()}\n  pids: {{max: 50}}\n")
            sleeper = subprocess.Popen(["sleep", "60"])
            try:
                doc = run(["attach", "--json", cg, str(sleeper.pid)], 0, "attach", sandbox)
                if doc:
                    if doc["pid"] != sleeper.pid or not doc["cgroups"]:
                        fail(f"attach --json: {doc}")
                    with open(f"/proc/{sleeper.pid}/cgroup") as f:
                        if f"nsplan-t-json-att-{os.getpid()}" not in f.read():
                            fail("attach --json: the process is not in the profile's cgroup")
                doc = run(["top", "--json", "--interval", "0.2"], 0, "top", sandbox)
                if doc and not any(p["profile"] == "nsplan-t-json-att" and (p["tasks"] or 0) >= 1 for p in doc["profiles"]):
                    fail(f"top --json: the attached profile with its task is not listed: {doc['profiles']}")
            finally:
                run(["destroy", "--json", "--kill", "nsplan-t-json-att"], 0, "destroy", sandbox)
                sleeper.kill()
                sleeper.wait()
        finally:
            sandbox.kill()
            sandbox.wait()

    # The schema is not vacuous: a change without its action is refused.
    bad = {"nsplan_json": 1, "kind": "destroy", "profile": "x", "ok": True, "changed": True, "had_state": True,
           "recovered": 0, "errors": [], "removed": [{"object": "cgroup", "before": None, "after": None, "from": None,
                                                     "text": "- rmdir /x"}]}
    if validator.is_valid(bad):
        fail("the schema accepts a change without an action")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("kinds checked:", ", ".join(sorted(k for k in kinds_seen if k)))
sys.exit(1 if failures else 0)

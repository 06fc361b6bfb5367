#!/usr/bin/env python3
"""Baseline scripts for the benchmark, derived from `nsplan plan --json` so that they do exactly
the profile's work and nothing else.

  naive     what a person writes by hand: one `ip` (or `echo`) per step, a veth's peer created on
            the host and then moved with `ip link set PEER netns NS`, no link group; teardown
            deletes the host-side links one by one with `ip link del`, then the namespaces.
  ipbatch   nsplan's own operations (peer born in its namespace, host-side links in one link
            group) through `ip -batch`: one `ip -batch` for the host, one `ip -n NS -batch` per
            namespace (a batch line cannot change namespace), cgroup writes by the shell;
            teardown is one `ip -batch`: `link del group N`, then `netns del` per namespace.
            With settle, it then asks for each link brought up (`link show dev`, one `ip -batch`
            per namespace), as apply does after its last step and its explain script shows: the
            kernel runs the links' pending linkwatch work (carrier, qdisc, IPv6 link-local
            address) then, where plain `ip -batch` leaves it to the kernel's worker after it returns.

Each script is a POSIX sh script; the ip-batch scripts reference batch files written beside them.
Usage (to look at them): python3 bench/baselines.py PLAN.json OUTDIR
"""
import json
import os
import shlex
import sys

q = shlex.quote


class Unsupported(Exception):
    pass


def _ns_opt(ns):
    return f"-n {q(ns)} " if ns else ""


def _cgroup_line(step):
    op = step["op"]
    if op == "make_cgroup":
        return f"mkdir -p {q(step['dir'])}"
    if op == "write_cgroup_file":
        return f"echo {q(step['value'])} > {q(step['dir'] + '/' + step['file'])}"
    if op == "enable_controllers":
        value = " ".join("+" + c for c in step["controllers"])
        return f"echo {q(value)} > {q(step['dir'] + '/cgroup.subtree_control')}"
    if op == "copy_from_parent":
        parent = step["dir"].rsplit("/", 1)[0]
        return f"cat {q(parent + '/' + step['file'])} > {q(step['dir'] + '/' + step['file'])}"
    return None


def _route_args(step):
    args = ["route", "add", step["to"]]
    if step.get("via"):
        args += ["via", step["via"]]
    if step.get("dev"):
        args += ["dev", step["dev"]]
    if step.get("metric") is not None:
        args += ["metric", str(step["metric"])]
    if step.get("table") is not None:
        args += ["table", str(step["table"])]
    if step.get("family") == 6:
        args = ["-6"] + args
    return args


def _link_words(step, smart):
    """`ip` words creating the link of a create_link step (smart: group, peer born in place)."""
    kind = step["kind"]
    words = ["link", "add"]
    if kind in ("macvlan", "ipvlan", "vlan"):
        raise Unsupported(f"create_link kind {kind}")
    words += [step["name"]]
    if smart and step.get("group"):
        words += ["group", str(step["group"])]
    words += ["type", kind]
    if kind == "veth":
        words += ["peer", "name", step["peer_name"]]
        if smart and step.get("peer_netns"):
            words += ["netns", step["peer_netns"]]
    return words


def _check_supported(plan):
    for s in plan["steps"]:
        if s["op"] in ("create_namespace", "set_hostname"):
            raise Unsupported(s["op"] + " (persistent uts/ipc namespaces have no `ip` equivalent)")


def naive(plan):
    """(setup, teardown) shell texts, one command per step, peers moved."""
    _check_supported(plan)
    up, down = ["set -eu"], ["set -u"]
    host_links, netns, cgroups = [], [], []
    for s in plan["steps"]:
        op = s["op"]
        line = _cgroup_line(s)
        if line:
            up.append(line)
            if op == "make_cgroup":
                cgroups.append(s["dir"])
            continue
        ns = s.get("netns", "")
        if op == "create_netns":
            up.append(f"ip netns add {q(s['name'])}")
            netns.append(s["name"])
        elif op == "create_link":
            if s["kind"] == "veth" and s.get("peer_netns", "") != ns:
                # created as a pair where the link lives, then the peer is moved
                up.append(f"ip {_ns_opt(ns)}link add {q(s['name'])} type veth peer name {q(s['peer_name'])}")
                up.append(f"ip {_ns_opt(ns)}link set {q(s['peer_name'])} netns {q(s['peer_netns'])}")
            else:
                up.append(f"ip {_ns_opt(ns)}" + " ".join(q(w) for w in _link_words(s, smart=False)))
            if not ns:
                host_links.append(s["name"])
        elif op == "move_link":
            up.append(f"ip link set {q(s['name'])} netns {q(s['netns'])}")
        elif op == "set_link_up":
            up.append(f"ip {_ns_opt(ns)}link set {q(s['dev'])} up")
        elif op == "set_mtu":
            up.append(f"ip {_ns_opt(ns)}link set {q(s['dev'])} mtu {s['mtu']}")
        elif op == "set_master":
            up.append(f"ip {_ns_opt(ns)}link set {q(s['dev'])} master {q(s['master'])}")
        elif op == "add_address":
            up.append(f"ip {_ns_opt(ns)}addr add {q(s['cidr'])} dev {q(s['dev'])}")
        elif op == "add_route":
            up.append(f"ip {_ns_opt(ns)}" + " ".join(q(w) for w in _route_args(s)))
        else:
            raise Unsupported(op)
    for name in reversed(host_links):
        down.append(f"ip link del {q(name)}")
    for name in reversed(netns):
        down.append(f"ip netns del {q(name)}")
    for d in reversed(cgroups):
        down.append(f"rmdir {q(d)}")
    return "\n".join(up) + "\n", "\n".join(down) + "\n"


def ipbatch(plan, outdir, tag, settle=False):
    """(setup, teardown) shell texts using `ip -batch`; batch files are written to OUTDIR."""
    _check_supported(plan)
    cg_up, cg_down = [], []
    batches = {"": []}  # netns -> batch lines, host first, namespaces in order of appearance
    brought_up = {}  # netns -> links brought up, for the settle
    netns, groups = [], []
    for s in plan["steps"]:
        op = s["op"]
        line = _cgroup_line(s)
        if line:
            cg_up.append(line)
            if op == "make_cgroup":
                cg_down.insert(0, f"rmdir {q(s['dir'])}")
            continue
        if op == "create_netns":
            batches[""].append(f"netns add {s['name']}")
            netns.append(s["name"])
            batches.setdefault(s["name"], [])
            continue
        if op == "create_link":
            ns = s.get("netns", "")
            words = _link_words(s, smart=True)
            if s.get("group") and not ns and s["group"] not in groups:
                groups.append(s["group"])
        elif op == "move_link":
            ns, words = "", ["link", "set", s["name"], "netns", s["netns"]]
        elif op == "set_link_up":
            ns, words = s.get("netns", ""), ["link", "set", s["dev"], "up"]
            brought_up.setdefault(ns, []).append(s["dev"])
        elif op == "set_mtu":
            ns, words = s.get("netns", ""), ["link", "set", s["dev"], "mtu", str(s["mtu"])]
        elif op == "set_master":
            ns, words = s.get("netns", ""), ["link", "set", s["dev"], "master", s["master"]]
        elif op == "add_address":
            ns, words = s.get("netns", ""), ["addr", "add", s["cidr"], "dev", s["dev"]]
        elif op == "add_route":
            ns, words = s.get("netns", ""), _route_args(s)
        else:
            raise Unsupported(op)
        batches.setdefault(ns, []).append(" ".join(words))
    # Every host-side step runs before the namespaces' (a namespace's steps only need what the
    # host batch made: the namespace itself and the peers born in it).
    up = ["set -eu"] + cg_up
    for i, (ns, lines) in enumerate(batches.items()):
        if not lines:
            continue
        path = os.path.join(outdir, f"{tag}.up.{i}.batch")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        up.append(f"ip {_ns_opt(ns)}-batch {q(path)}")
    for i, (ns, devs) in enumerate(brought_up.items() if settle else []):
        path = os.path.join(outdir, f"{tag}.settle.{i}.batch")
        with open(path, "w") as f:
            f.write("".join(f"link show dev {d}\n" for d in devs))
        up.append(f"ip {_ns_opt(ns)}-batch {q(path)} > /dev/null")
    down_lines = [f"link del group {g}" for g in groups] + [f"netns del {n}" for n in reversed(netns)]
    down = ["set -u"]
    if down_lines:
        path = os.path.join(outdir, f"{tag}.down.batch")
        with open(path, "w") as f:
            f.write("\n".join(down_lines) + "\n")
        down.append(f"ip -batch {q(path)}")
    down += cg_down
    return "\n".join(up) + "\n", "\n".join(down) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name, (a, b) in (("naive", naive(plan)), ("ipbatch", ipbatch(plan, out, "ipbatch"))):
        for suffix, text in (("up", a), ("down", b)):
            with open(os.path.join(out, f"{name}.{suffix}.sh"), "w") as f:
                f.write(text)
    print(f"wrote naive.{{up,down}}.sh and ipbatch.{{up,down}}.sh (+ .batch files) to {out}")


if __name__ == "__main__":
    main()

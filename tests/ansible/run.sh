#!/bin/sh
# The Ansible collection in contrib/ansible: the module compiles, ansible-doc renders it,
# validate-modules finds its documentation true to its code, and tests/ansible/playbook.yml drives
# nsplan_profile against localhost (-c local) as root, inside a private mount+net namespace with
# its own tmpfs /run (nsplan's state dir): apply, idempotence, check and diff mode, warnings and
# strict, failures (profile, kernel, wrong parent, processes left), absent twice, kill,
# cgroup_parent, inline content. Its cgroups are nsplan-t-ans-<pid> and nsplan-t-ans-<pid>-parent.
#
# Usage: run.sh NSPLAN SOURCE_DIR. Without ansible-playbook, root or unshare it skips (exit 77),
# but with CI=true it fails instead.
set -u
nsplan=$(realpath "$1")
src=$(realpath "$2")
collections=$src/contrib/ansible
module=$collections/ansible_collections/nsplan/nsplan/plugins/modules/nsplan_profile.py

skip_or_fail() {
  if [ "${CI:-}" = true ]; then echo "FAIL: $1 (CI=true)"; exit 1; fi
  echo "SKIP: $1"; exit 77
}

if [ "${NSPLAN_ANSIBLE_INSIDE:-}" != 1 ]; then
  for tool in ansible-playbook ansible-doc; do
    command -v "$tool" > /dev/null || skip_or_fail "$tool is not installed (sh .ci/install-deps)"
  done
  [ "$(id -u)" = 0 ] || skip_or_fail "the playbook applies profiles: run as root"
  command -v unshare > /dev/null || skip_or_fail "unshare is not installed"
  python=$(head -n 1 "$(command -v ansible-playbook)" | sed 's/^#! *//; s/ .*//')
  fail=0
  # Ansible and Python write only below $outer: a home, the compiled module.
  outer=$(mktemp -d) || exit 1
  trap 'rm -rf "$outer"' EXIT
  export HOME="$outer" PYTHONDONTWRITEBYTECODE=1

  # The module is Python the managed host can compile, and documented as ansible-doc reads it.
  "$python" -c 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)' \
    "$module" "$outer/module.pyc" || { echo "FAIL: py_compile"; fail=1; }
  doc=$(ANSIBLE_COLLECTIONS_PATH=$collections ansible-doc -t module nsplan.nsplan.nsplan_profile 2>&1) ||
    { echo "FAIL: ansible-doc exits with status $?"; fail=1; }
  for word in NSPLAN.NSPLAN.NSPLAN_PROFILE cgroup_parent content nsplan_path src state_dir strict EXAMPLES RETURN; do
    printf '%s\n' "$doc" | grep -q -- "$word" || { echo "FAIL: ansible-doc does not show $word"; fail=1; }
  done
  printf '%s\n' "$doc" | grep -E '^(ERROR|\[WARNING\])' && { echo "FAIL: ansible-doc complains"; fail=1; }
  # Every assertion of the playbook is one expression: YAML reads an unquoted one with ': ' in
  # it as a mapping, which assert would take as true.
  "$python" -c 'import sys, yaml
for task in yaml.safe_load(open(sys.argv[1]))[0]["tasks"]:
    for item in task.get("ansible.builtin.assert", {}).get("that", []):
        if not isinstance(item, str): sys.exit("FAIL: an assertion is not a string: %r" % (item,))' \
    "$src/tests/ansible/playbook.yml" || fail=1

  # ansible-test's validate-modules (the documentation against the argument spec, the return
  # values, the examples), run directly: `ansible-test sanity` wants to pip-install its
  # requirements first, which offline it cannot. It needs voluptuous (python3-voluptuous).
  # missing-gplv3-license is left out: it is a rule of Ansible's own distribution, and nsplan
  # has chosen no licence.
  validate=$("$python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_util/controller/sanity/validate-modules
  if [ -f "$validate/validate.py" ] && "$python" -c 'import voluptuous' 2> /dev/null; then
    (cd "$collections/ansible_collections/nsplan/nsplan" &&
      ANSIBLE_COLLECTIONS_PATH=$collections PYTHONPATH=$validate "$python" "$validate/validate.py" --format json \
        --arg-spec --collection ansible_collections/nsplan/nsplan --collection-version 0.1.0 \
        plugins/modules/nsplan_profile.py) > "$outer/validate.json"
    "$python" -c 'import json, sys
found = [(e["code"], e["msg"]) for f in json.load(open(sys.argv[1])).values()
         for e in f["errors"] + f["warnings"] if e["code"] != "missing-gplv3-license"]
for code, msg in found: print("FAIL: validate-modules: %s: %s" % (code, msg))
sys.exit(1 if found else 0)' "$outer/validate.json" || fail=1
  elif [ "${CI:-}" = true ]; then
    echo "FAIL: validate-modules needs ansible-test and python3-voluptuous (sh .ci/install-deps)"; fail=1
  else
    echo "NOTE: validate-modules not run: it needs ansible-test and python3-voluptuous"
  fi

  # The rest runs inside the sandbox; the cgroup's name carries this shell's pid.
  # shellcheck disable=SC2016 # expanded by the sandbox's sh
  NSPLAN_ANSIBLE_INSIDE=1 NSPLAN_ANSIBLE_TAG=nsplan-t-ans-$$ unshare --mount --net --propagation private \
    sh -c 'mount -t tmpfs tmpfs /run && ip link set lo up && exec sh "$0" "$1" "$2"' "$0" "$nsplan" "$src" || fail=1

  # Whatever happened inside, no cgroup of this test may be left on the host.
  leftover=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "nsplan-t-ans-$$*" 2>/dev/null)
  if [ -n "$leftover" ]; then
    echo "FAIL: left on the host: $leftover"
    printf '%s\n' "$leftover" | sort -r | xargs rmdir 2>/dev/null
    fail=1
  fi
  [ $fail = 0 ] && echo "ansible: all passed"
  exit $fail
fi

# ---- inside the sandbox -----------------------------------------------------------------------
name=$NSPLAN_ANSIBLE_TAG
# Where the kernel shows the profile's pids.max: the v1 pids hierarchy, else the unified one.
# The cgroup_parent case places it below $parent, made here and removed on exit.
# lossy.yaml has a value each version cannot express faithfully: --strict refuses it there.
if [ "$(stat -f -c %T /sys/fs/cgroup/pids 2>/dev/null)" = cgroupfs ]; then
  hierarchy=/sys/fs/cgroup/pids
  lossy_error="7:10: memory low has no cgroup v1 equivalent; it is not applied"
else
  hierarchy=/sys/fs/cgroup
  lossy_error="6:11: memory soft is not applied on cgroup v2: low is given too, and both become memory.low"
fi
parent=$name-parent
pids_file=$hierarchy/$name/pids.max
parent_pids_file=$hierarchy/$parent/$name/pids.max
tmp=$(mktemp -d) || exit 1
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  "$nsplan" destroy -q --kill "$name" > /dev/null 2>&1
  "$nsplan" destroy -q --kill --cgroup-parent "$parent" "$name" > /dev/null 2>&1
  rmdir "$hierarchy/$parent" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir "$hierarchy/$parent" || exit 1

profile() {  # profile FILE PIDS_KEY VALUE
  printf 'nsplan: 1\nname: %s\ncgroup:\n  path: %s\n  pids:\n    %s: %s\n' "$name" "$name" "$2" "$3" > "$tmp/$1"
}
profile pids-100.yaml max 100
profile pids-200.yaml max 200
profile pids-300.yaml max 300
profile invalid.yaml mx 100
printf 'nsplan: 1\nname: %s\ncgroup:\n  path: %s\n  memory:\n    max: 1G\n    soft: 4G\n' "$name" "$name" > "$tmp/warning.yaml"
# A step the kernel refuses (a route via a gateway on no link) after three that it took; the
# bridge lives in the sandbox's own network namespace.
printf 'nsplan: 1\nname: %s-fail\nnetwork:\n  links:\n    - name: nsptans0\n      kind: bridge\n      addresses: [10.99.0.1/24]\n  routes:\n    - {to: 10.50.0.0/24, via: 10.98.0.1}\n' "$name" > "$tmp/failing.yaml"
printf 'nsplan: 1\nname: %s\ncgroup:\n  path: %s\n  memory:\n    soft: 1G\n    low: 1G\n' "$name" "$name" > "$tmp/lossy.yaml"

# Ansible writes only below $tmp: its home, its temporary directories, no ansible.cfg read.
mkdir -m 700 "$tmp/home" "$tmp/remote"
mkdir -m 777 "$tmp/shared"  # a remote_tmp others could swap files in: content is refused there
: > "$tmp/ansible.cfg"
cd "$tmp" || exit 1
status=0
# Ansible keeps its own temporary directories (where the module writes a profile given as
# content), so the module's own removal of the profile is what the check below sees.
HOME=$tmp/home ANSIBLE_KEEP_REMOTE_FILES=1 ANSIBLE_CONFIG=$tmp/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$collections \
  ANSIBLE_LOCAL_TEMP=$tmp/home/local ANSIBLE_REMOTE_TEMP=$tmp/remote ANSIBLE_NOCOLOR=1 \
  ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_STDOUT_CALLBACK=default \
  ansible-playbook -i localhost, -c local "$src/tests/ansible/playbook.yml" \
    -e "nsplan=$nsplan dir=$tmp name=$name pids_file=$pids_file parent=$parent parent_pids_file=$parent_pids_file" \
    -e "{\"lossy_error\": \"$lossy_error\"}" \
    -e 'ansible_python_interpreter={{ ansible_playbook_python }}' > "$tmp/out" 2>&1 || status=$?
if [ $status != 0 ]; then
  echo "FAIL: the playbook (exit status $status):"
  tail -n 40 "$tmp/out"
  exit 1
fi
fail=0
# diff: true on the check-mode task shows the plan's line in the playbook's output.
grep -q -- "^~ $pids_file: 100 -> 200  (.*pids-200.yaml:[0-9]*:[0-9]*)\$" "$tmp/out" ||
  { echo "FAIL: the diff of the check-mode task is not in the output"; fail=1; }
grep -q 'failed=0' "$tmp/out" || { echo "FAIL: the recap has failures"; fail=1; }
# The profiles given as content were written below the remote temp dir and removed there.
[ -n "$(find "$tmp/remote" -name 'AnsiballZ_nsplan_profile.py')" ] ||
  { echo "FAIL: the module did not run below $tmp/remote"; fail=1; }
left=$(find "$tmp/remote" "$tmp/shared" -name 'nsplan-profile-*' 2>/dev/null)
[ -z "$left" ] || { echo "FAIL: temporary profile left: $left"; fail=1; }
[ -e "$(dirname "$pids_file")" ] && { echo "FAIL: the cgroup is still there after absent"; fail=1; }
[ $fail = 0 ] && echo "ansible: $(grep -c '^TASK' "$tmp/out") tasks passed"
exit $fail

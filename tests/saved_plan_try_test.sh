#!/bin/sh
# Saved plans and nsplan try, with the real binary, as root, in a private mount+net namespace
# (the links are made there; the state dir is a temporary directory). Arguments: NSPLAN SOURCE_DIR.
#
# Saved plans: `plan --out` writes one (mode 0600, through a new file: a planted symbolic link is
# replaced, its target untouched); `apply FILE` applies the saved profile text even when the file
# changed since; it refuses, changing nothing, when the live system changed, when the saved
# plan was tampered with, or when given target options of its own.
# try: end of input, n, no answer in time and SIGHUP each take everything back (exit 5); Enter
# keeps it. A profile by name (the search path) and from standard input (apply -, status NAME,
# list, a plan saved from standard input).
set -u
nsplan=$1
src=$2
if [ "$(id -u)" != 0 ] || ! command -v unshare > /dev/null; then
  echo "saved_plan_try: needs root and unshare"
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi
if [ -z "${NSPLAN_T_SANDBOX:-}" ]; then
  exec unshare --mount --net --propagation private env NSPLAN_T_SANDBOX=1 sh "$0" "$@"
fi
. "$src/tests/expect.sh"
state=$tmp/state
mkdir -m 700 "$state"
ns() { "$nsplan" "$@" --state-dir "$state"; }
link_mtu() {  # this namespace's (/sys shows the namespace that mounted it)
  ip -o link show dev "$1" 2>/dev/null | sed -n 's/.* mtu \([0-9]*\) .*/\1/p' | grep . || echo none
}
is() {  # is WHAT ACTUAL EXPECTED
  [ "$2" = "$3" ] || { echo "FAIL: $1: '$2', expected '$3'"; fail=1; }
}
has_err() {
  grep -qF -- "$1" "$tmp/err" || { echo "FAIL: stderr lacks '$1':"; cat "$tmp/err"; fail=1; }
}

profile() {  # profile FILE MTU [EXTRA_LINK]
  {
    echo "nsplan: 1"
    echo "name: nsplan-t-saved"
    echo "network:"
    echo "  links:"
    echo "    - {name: nspt-br, kind: bridge, mtu: $2, addresses: [10.231.0.1/24]}"
    [ -n "${3:-}" ] && echo "    - {name: $3, kind: bridge}"
  } > "$1"
}

# ---- saved plans -----------------------------------------------------------------------------
p=$tmp/p.yaml
profile "$p" 1400
expect 4 "plan --out (changes pending)" -- ns plan "$p" --out "$tmp/a.plan"
is "saved plan mode" "$(stat -c %a "$tmp/a.plan")" 600
python3 -c 'import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' \
  "$tmp/a.plan" "$src/schema/nsplan-output.schema.json" || { echo "FAIL: a.plan is not valid against the schema"; fail=1; }
# The profile changes after the review: the saved plan still applies what was reviewed.
profile "$p" 1400 nspt-extra
expect 0 "apply a saved plan" -- ns apply "$tmp/a.plan"
is "bridge made" "$(link_mtu nspt-br)" 1400
is "the later edit is not applied" "$(link_mtu nspt-extra)" none
grep -q "p.yaml" "$state/nsplan-t-saved.state" || { echo "FAIL: the state does not record the profile file"; fail=1; }

# Saved, then the live system changes: apply refuses and changes nothing.
profile "$p" 1300 nspt-extra
expect 4 "plan --out of the edited profile" -- ns plan "$p" --out "$tmp/b.plan"
ip link set nspt-br mtu 1350
expect 3 "apply of a stale plan" -- ns apply "$tmp/b.plan"
has_err "the live system changed since this plan was saved"
has_err "1400 -> 1300"
has_err "1350 -> 1300"
is "stale plan changed nothing (mtu)" "$(link_mtu nspt-br)" 1350
is "stale plan changed nothing (link)" "$(link_mtu nspt-extra)" none

# A saved plan whose profile text was edited inside the file: its plan is not what it says.
expect 4 "plan --out again" -- ns plan "$p" --out "$tmp/c.plan"
sed 's/mtu: 1300/mtu: 1200/' "$tmp/c.plan" > "$tmp/tampered.plan"
expect 3 "apply of a tampered plan" -- ns apply "$tmp/tampered.plan"
has_err "the saved plan is not what its profile plans"
is "tampered plan changed nothing" "$(link_mtu nspt-br)" 1350
expect 2 "a saved plan takes no other target options" -- ns apply "$tmp/c.plan" --cgroup-parent x
has_err "differs from the saved plan's"
printf 'nsplan: 1\nname: x\n' > "$tmp/yaml.plan"
expect 1 "a .plan file that is not a saved plan" -- ns apply "$tmp/yaml.plan"
has_err "not a saved plan"
printf '{"nsplan_json": 1, "kind": "saved_plan", "saved_plan_version": 99}' > "$tmp/future.plan"
expect 1 "a saved plan of another version" -- ns apply "$tmp/future.plan"
has_err "version 99"
expect 0 "apply the fresh plan" -- ns apply "$tmp/c.plan"
is "fresh plan applied" "$(link_mtu nspt-br)/$(link_mtu nspt-extra)" 1300/1500
# A symbolic link planted where --out writes: replaced, its target untouched.
echo victim > "$tmp/victim"
ln -s "$tmp/victim" "$tmp/link.plan"
expect 0 "plan --out over a symbolic link (no changes pending)" -- ns plan "$p" --out "$tmp/link.plan"
is "symlink target untouched" "$(cat "$tmp/victim")" victim
[ -L "$tmp/link.plan" ] && { echo "FAIL: --out followed or kept the symbolic link"; fail=1; }
expect 0 "destroy" -- ns destroy nsplan-t-saved

# ---- try --------------------------------------------------------------------------------------
profile "$p" 1400
expect 5 "try, end of input" -- sh -c '"$0" try "$1" --state-dir "$2" < /dev/null' "$nsplan" "$p" "$state"
has_err "no answer (end of input)"
has_err "Keep these changes?"
is "declined try left nothing" "$(link_mtu nspt-br)" none
[ -e "$state/nsplan-t-saved.state" ] && { echo "FAIL: a declined try saved state"; fail=1; }
expect 0 "try, Enter" -- sh -c 'printf "\n" | "$0" try "$1" --state-dir "$2"' "$nsplan" "$p" "$state"
is "kept try" "$(link_mtu nspt-br)" 1400
profile "$p" 1300
expect 5 "try, n" -- sh -c 'printf "n\n" | "$0" try "$1" --state-dir "$2"' "$nsplan" "$p" "$state"
has_err "not confirmed"
is "declined change taken back" "$(link_mtu nspt-br)" 1400
expect 5 "try, no answer in time" -- sh -c 'sleep 4 | "$0" try "$1" --state-dir "$2" --timeout 1' "$nsplan" "$p" "$state"
has_err "no answer in time"
is "timed-out change taken back" "$(link_mtu nspt-br)" 1400
# SIGHUP (the terminal of a cut-off ssh session) while asked.
sleep 30 | "$nsplan" try "$p" --state-dir "$state" --timeout 60 2> "$tmp/err" &
pid=$!
i=0
# Up to 60 s: on a loaded machine (a build beside the suite) the apply before the question is slow.
while ! grep -q "Keep these changes?" "$tmp/err" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
is "asked while the change is in place" "$(link_mtu nspt-br)" 1300
kill -HUP $pid
wait $pid
is "try after SIGHUP: exit" "$?" 5
has_err "interrupted"
is "SIGHUP took the change back" "$(link_mtu nspt-br)" 1400
pkill -P $$ sleep 2>/dev/null

# ---- a profile by name, and from standard input --------------------------------------------
search=$tmp/search
mkdir -m 755 "$search"
profile "$search/nsplan-t-saved.yaml" 1350
chmod 644 "$search/nsplan-t-saved.yaml"
expect 0 "apply NAME (found on the search path)" -- ns apply nsplan-t-saved --profile-path "$search"
is "apply NAME applied the file found" "$(link_mtu nspt-br)" 1350
grep -qF "\"source\": \"$search/nsplan-t-saved.yaml\"" "$state/nsplan-t-saved.state" || { echo "FAIL: apply NAME records the file found"; fail=1; }
expect 0 "status NAME reads the file found" -- ns status nsplan-t-saved
# A file named <stdin> in the current directory is never taken for standard input's record.
mkdir -m 755 "$tmp/cwd"
profile "$tmp/cwd/<stdin>" 1250
profile "$p" 1320
expect 0 "apply - (standard input)" -- env -C "$tmp/cwd" sh -c '"$0" apply - --state-dir "$1" < "$2"' "$nsplan" "$state" "$p"
is "apply - applied standard input" "$(link_mtu nspt-br)" 1320
grep -q '"from_stdin": true' "$state/nsplan-t-saved.state" || { echo "FAIL: apply - records standard input"; fail=1; }
grep -q '"source"' "$state/nsplan-t-saved.state" && { echo "FAIL: apply - kept (or made up) a profile file"; cat "$state/nsplan-t-saved.state"; fail=1; }
expect 3 "status NAME after apply -" -- ns status nsplan-t-saved
has_err "'nsplan-t-saved' was last applied from standard input (apply -, "
has_err "no profile file is recorded to read"
expect 0 "list after apply -" -- ns list
grep -qF "? (applied from standard input)" "$tmp/out" || { echo "FAIL: list says applied from standard input"; cat "$tmp/out"; fail=1; }
expect 0 "status FILE after apply -" -- ns status "$p"
# A plan saved from standard input applies as apply - does.
profile "$p" 1310
expect 4 "plan - --out" -- sh -c '"$0" plan - --out "$1" --state-dir "$2" < "$3"' "$nsplan" "$tmp/stdin.plan" "$state" "$p"
expect 0 "apply a plan saved from standard input" -- ns apply "$tmp/stdin.plan"
is "the saved plan of standard input applied" "$(link_mtu nspt-br)" 1310
grep -q '"from_stdin": true' "$state/nsplan-t-saved.state" || { echo "FAIL: a saved plan of standard input records standard input"; fail=1; }
# try - asks on the terminal: standard input held the profile (script(1) gives it a terminal).
if command -v script > /dev/null; then
  profile "$p" 1290
  (sleep 1; printf 'n\n') | script -qec "'$nsplan' try - --state-dir '$state' < '$p'" /dev/null > "$tmp/tty" 2>&1
  is "try -, n on the terminal: exit" "$?" 5
  grep -q "not confirmed" "$tmp/tty" || { echo "FAIL: try - declined on the terminal"; cat "$tmp/tty"; fail=1; }
  is "try - declined on the terminal" "$(link_mtu nspt-br)" 1310
  (sleep 1; printf '\n') | script -qec "'$nsplan' try - --state-dir '$state' < '$p'" /dev/null > "$tmp/tty" 2>&1
  is "try -, Enter on the terminal: exit" "$?" 0
  grep -q "~ mtu of nspt-br: 1310 -> 1290  (<stdin>:5:" "$tmp/tty" || { echo "FAIL: try - shows its changes located in <stdin>"; cat "$tmp/tty"; fail=1; }
  is "try - kept on the terminal" "$(link_mtu nspt-br)" 1290
elif [ "${CI:-}" = true ]; then
  echo "FAIL: script(1) (util-linux) is needed for try - on a terminal"; fail=1
fi
expect 0 "destroy after try" -- ns destroy nsplan-t-saved
is "destroyed" "$(link_mtu nspt-br)" none
exit $fail

#!/bin/sh
# The command line as a user meets it: exit statuses (0 ok, 1 invalid profile, 2 usage),
# diagnostics on stderr, results on stdout, the JSON Schema, and docs/reference.md kept equal
# to `nsplan schema --markdown`.
set -u
nsplan=$1
src=$2
cd "$src" || exit 1
. "$src/tests/expect.sh"

expect 0 "explain firefox v1" -- "$nsplan" explain profiles/firefox.yaml --cgroup v1
grep -q "^echo '3221225472' > '/sys/fs/cgroup/memory/memlimit/memory.limit_in_bytes'$" "$tmp/out" || { echo "FAIL: v1 limit line"; fail=1; }
expect 0 "explain firefox on this host (probed)" -- "$nsplan" explain profiles/firefox.yaml
expect 0 "plan --json" -- "$nsplan" plan profiles/lab.yaml --json --cgroup v2
grep -q '"nsplan_plan": 2' "$tmp/out" || { echo "FAIL: plan json version"; fail=1; }
expect 0 "check all profiles" -- "$nsplan" check profiles/firefox.yaml profiles/lab.yaml profiles/build-jail.yaml profiles/isolated-shell.yaml
[ "$(wc -l < "$tmp/out")" = 4 ] || { echo "FAIL: check prints one ok line per profile"; fail=1; }

expect 1 "invalid profile" -- "$nsplan" check tests/diagnostics/values.yaml
grep -q "^tests/diagnostics/values.yaml:6:10: error: bad unit 'X' in '3X'$" "$tmp/err" || { echo "FAIL: located error"; cat "$tmp/err"; fail=1; }
[ -s "$tmp/out" ] && { echo "FAIL: nothing on stdout for an invalid profile"; fail=1; }
expect 1 "explain of an invalid profile" -- "$nsplan" explain tests/diagnostics/values.yaml --cgroup v2
expect 1 "missing file" -- "$nsplan" check does/not/exist.yaml
grep -q "cannot read 'does/not/exist.yaml': No such file or directory" "$tmp/err" || { echo "FAIL: missing file message"; fail=1; }
expect 1 "a directory is not a profile" -- "$nsplan" check profiles
expect 1 "/dev/zero is refused" -- "$nsplan" check /dev/zero
truncate -s 100M "$tmp/huge.yaml"
expect 1 "a 100 MB file is refused before it is read" -- "$nsplan" check "$tmp/huge.yaml"
grep -q "file is larger than 1024 KiB" "$tmp/err" || { echo "FAIL: size limit message"; fail=1; }
expect 1 "--strict refuses lossy translation" -- "$nsplan" explain tests/diagnostics/v1-lossy.yaml --cgroup v1 --strict
# Verbosity: warnings unless -q (anywhere on the line); errors always; the script unchanged.
expect 0 "warnings by default" -- "$nsplan" explain tests/diagnostics/v1-lossy.yaml --cgroup v1
grep -q ": warning: " "$tmp/err" || { echo "FAIL: a lossy translation warns"; fail=1; }
cp "$tmp/out" "$tmp/script-normal"
expect 0 "-q after the command" -- "$nsplan" explain tests/diagnostics/v1-lossy.yaml --cgroup v1 -q
[ -s "$tmp/err" ] && { echo "FAIL: -q prints no warning"; cat "$tmp/err"; fail=1; }
cmp -s "$tmp/out" "$tmp/script-normal" || { echo "FAIL: -q changes the script"; fail=1; }
expect 0 "-q before the command" -- "$nsplan" -q explain tests/diagnostics/v1-lossy.yaml --cgroup v1
[ -s "$tmp/err" ] && { echo "FAIL: nsplan -q prints no warning"; fail=1; }
expect 1 "-q keeps errors" -- "$nsplan" check tests/diagnostics/values.yaml -q
grep -q "error: bad unit" "$tmp/err" || { echo "FAIL: -q still prints errors"; fail=1; }
expect 0 "-vv explain" -- "$nsplan" explain profiles/lab.yaml --cgroup v2 -vv
grep -q "^nsplan: compiled profiles/lab.yaml in [0-9.]* ms: [0-9]* steps$" "$tmp/err" || { echo "FAIL: -vv times the compile"; cat "$tmp/err"; fail=1; }
# No colour when stderr is not a terminal (here a file), whatever NO_COLOR says.
expect 1 "no colour when piped" -- "$nsplan" check tests/diagnostics/values.yaml
if grep -q "$(printf '\033')" "$tmp/err"; then echo "FAIL: escape codes in piped diagnostics"; fail=1; fi
if command -v script > /dev/null; then
  # On a terminal: colour, unless NO_COLOR is set.
  TERM=xterm script -qec "$nsplan check $src/tests/diagnostics/values.yaml" /dev/null > "$tmp/tty" 2>&1
  grep -q "$(printf '\033')\[1;31merror" "$tmp/tty" || { echo "FAIL: no colour on a terminal"; fail=1; }
  TERM=xterm NO_COLOR=1 script -qec "$nsplan check $src/tests/diagnostics/values.yaml" /dev/null > "$tmp/tty" 2>&1
  if grep -q "$(printf '\033')" "$tmp/tty"; then echo "FAIL: colour despite NO_COLOR"; fail=1; fi
elif [ "${CI:-}" = true ]; then
  echo "FAIL: script(1) (util-linux) is needed for the terminal colour check"; fail=1
fi
expect 0 "without --strict it warns" -- "$nsplan" explain tests/diagnostics/v1-lossy.yaml --cgroup v1
grep -q "warning: memory high has no cgroup v1 equivalent" "$tmp/err" || { echo "FAIL: warning on stderr"; fail=1; }
grep -q "^# warning: " "$tmp/out" || { echo "FAIL: warning in the script header"; fail=1; }
expect 0 "check for a target warns of its losses" -- "$nsplan" check tests/diagnostics/v1-lossy.yaml --cgroup v1
grep -q "warning: memory high has no cgroup v1 equivalent" "$tmp/err" || { echo "FAIL: check --cgroup v1 warns"; cat "$tmp/err"; fail=1; }
expect 1 "check --strict for a target refuses them" -- "$nsplan" check tests/diagnostics/v1-lossy.yaml --cgroup v1 --strict
expect 0 "check without a target reads the format only" -- "$nsplan" check tests/diagnostics/v1-lossy.yaml
[ -s "$tmp/err" ] && { echo "FAIL: check without a target warned"; cat "$tmp/err"; fail=1; }
expect 2 "apply does not take --cgroup" -- "$nsplan" apply profiles/lab.yaml --cgroup v1
grep -q "^nsplan: error: " "$tmp/err" || { echo "FAIL: a usage error without nsplan's prefix"; cat "$tmp/err"; fail=1; }
grep -q "^  hint: nsplan apply --help$" "$tmp/err" || { echo "FAIL: a usage error without its hint"; cat "$tmp/err"; fail=1; }
expect 0 "apply --help" -- "$nsplan" apply --help
grep -q -- "--cgroup " "$tmp/out" && { echo "FAIL: apply --help offers --cgroup"; fail=1; }
expect 0 "destroy --help" -- "$nsplan" destroy --help
grep -q -- "--strict" "$tmp/out" && { echo "FAIL: destroy --help offers --strict"; fail=1; }

# Without root or capabilities: a clear error naming what is missing, before any change.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  expect 3 "apply without privileges" -- setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$nsplan" apply profiles/lab.yaml --state-dir "$tmp/state"
  grep -q "needs CAP_SYS_ADMIN (to create and mount namespaces); CAP_NET_ADMIN (to create links, addresses and routes); nothing was changed" "$tmp/err" \
    || { echo "FAIL: missing privileges are named"; cat "$tmp/err"; fail=1; }
  [ -e "$tmp/state" ] && { echo "FAIL: apply without privileges made its state dir"; fail=1; }
  # Without root, destroy needs what the records show nsplan made; these are out of nobody's
  # reach ($tmp is root's, 0700): refused, naming the state dir.
  expect 3 "destroy without privileges" -- setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$nsplan" destroy lab --state-dir "$tmp/state"
  grep -q "state dir $tmp/state: open $tmp/state: Permission denied" "$tmp/err" || { echo "FAIL: destroy names the state dir"; cat "$tmp/err"; fail=1; }
  [ -e "$tmp/state" ] && { echo "FAIL: destroy without privileges made its state dir"; fail=1; }
  # A profile's cgroups below the root of the hierarchy are root's: the hint names where a user's go.
  expect 3 "apply of cgroups without root" -- setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$nsplan" apply profiles/firefox.yaml --state-dir "$tmp/state"
  grep -q "needs root (to write the cgroup tree); nothing was changed" "$tmp/err" || { echo "FAIL: cgroups need root"; cat "$tmp/err"; fail=1; }
  grep -q -- "--cgroup-parent user.slice/user-65534.slice/user@65534.service/app.slice" "$tmp/err" \
    || { echo "FAIL: the hint names --cgroup-parent"; cat "$tmp/err"; fail=1; }
  [ -e "$tmp/state" ] && { echo "FAIL: apply without root made its state dir"; fail=1; }
fi

# destroy by name: a name is a file name in the state dir, so a path is never taken for one.
expect 1 "destroy of a path that is no profile" -- "$nsplan" destroy ../nsplan-t-not-a-name --state-dir "$tmp/state"
grep -q "cannot read '../nsplan-t-not-a-name'" "$tmp/err" || { echo "FAIL: a path is read as a file"; cat "$tmp/err"; fail=1; }
[ -e "$tmp/state" ] && { echo "FAIL: a refused destroy made its state dir"; fail=1; }
if [ "$(id -u)" = 0 ]; then
  expect 0 "destroy by the name of a profile that owns nothing" -- "$nsplan" destroy nsplan-t-nothing --state-dir "$tmp/state"
  grep -q "nothing to destroy: 'nsplan-t-nothing'" "$tmp/out" || { echo "FAIL: destroy by name"; cat "$tmp/out"; fail=1; }
fi

# include: and extends: reach only files below the directory of the file that names them, or the
# profile search path; anything else is refused by name (file:line:col, hint), never shown.
secret=NSPLAN-SECRET-MARKER-c11
mkdir -p "$tmp/inc/p/sub" "$tmp/inc/out" "$tmp/inc/search"
chmod 755 "$tmp/inc" "$tmp/inc/p" "$tmp/inc/p/sub" "$tmp/inc/out" "$tmp/inc/search"
printf 'root:%s:19000:0:99999:7:::\n' "$secret" > "$tmp/inc/out/secret.yaml"
ln -s ../out/secret.yaml "$tmp/inc/p/link.yaml"
ln -s ../out "$tmp/inc/p/dirlink"
mkfifo "$tmp/inc/p/fifo.yaml"
mkdir "$tmp/inc/p/dir.yaml"
for bad in ../out/secret.yaml "$tmp/inc/out/secret.yaml" link.yaml dirlink/secret.yaml fifo.yaml dir.yaml; do
  printf 'nsplan: 1\nname: inc\ninclude: %s\n' "$bad" > "$tmp/inc/p/main.yaml"
  expect 1 "include: $bad is refused" -- "$nsplan" check "$tmp/inc/p/main.yaml"
  grep -q "^$tmp/inc/p/main.yaml:3:10: error: " "$tmp/err" || { echo "FAIL: include: $bad: no located error"; cat "$tmp/err"; fail=1; }
  grep -q "^  hint: " "$tmp/err" || { echo "FAIL: include: $bad: no hint"; cat "$tmp/err"; fail=1; }
  grep -q "$secret" "$tmp/err" "$tmp/out" && { echo "FAIL: include: $bad: the outside file was shown"; fail=1; }
done
printf 'cgroup:\n  pids: {max: 9}\n' > "$tmp/inc/p/sub/frag.yaml"
printf 'cgroup:\n  path: nsplan-t-inc\n  memory: {max: 1G}\n' > "$tmp/inc/search/nsplan-t-base.yaml"
chmod 644 "$tmp/inc/search/nsplan-t-base.yaml"
printf 'nsplan: 1\nname: inc\nextends: nsplan-t-base\ninclude: sub/frag.yaml\nrun: {command: [true]}\n' > "$tmp/inc/p/main.yaml"
expect 0 "include below the directory, extends from the search path" -- "$nsplan" explain "$tmp/inc/p/main.yaml" --cgroup v2 --profile-path "$tmp/inc/search"
grep -q "^echo '9' > '/sys/fs/cgroup/nsplan-t-inc/pids.max'$" "$tmp/out" || { echo "FAIL: the fragment below the directory is read"; cat "$tmp/out"; fail=1; }
grep -q "^echo '1073741824' > '/sys/fs/cgroup/nsplan-t-inc/memory.max'$" "$tmp/out" || { echo "FAIL: the base on the search path is read"; cat "$tmp/out"; fail=1; }
expect 1 "the default search path" -- "$nsplan" check "$tmp/inc/p/main.yaml"
grep -q "no profile 'nsplan-t-base' on the profile search path (/etc/nsplan, /usr/local/share/nsplan/profiles, /usr/share/nsplan/profiles)" "$tmp/err" || { echo "FAIL: default search path"; cat "$tmp/err"; fail=1; }
chmod 777 "$tmp/inc/search"
expect 1 "a search directory writable by others is refused" -- "$nsplan" check "$tmp/inc/p/main.yaml" --profile-path "$tmp/inc/search"
grep -q "the profile search directory '$tmp/inc/search' is writable by group or others (mode 0777)" "$tmp/err" || { echo "FAIL: writable search directory"; cat "$tmp/err"; fail=1; }
expect 2 "--profile-path must be absolute" -- "$nsplan" check "$tmp/inc/p/main.yaml" --profile-path relative/dir

# The profile given by name on the command line: NAME.yaml on the search path, the first
# directory that has it (the administrator's before the shipped ones), never the current
# directory; a file there must be root's or the caller's and not writable by group or others.
sp=$tmp/sp
mkdir -p "$sp/admin" "$sp/shipped" "$sp/cwd"
chmod 755 "$sp" "$sp/admin" "$sp/shipped" "$sp/cwd"
sp_profile() {  # FILE PIDS_MAX: a profile named as the file
  name=${1##*/}; name=${name%.yaml}
  printf 'nsplan: 1\nname: %s\ncgroup: {path: nsplan-t-sp, pids: {max: %s}}\n' "$name" "$2" > "$1"; chmod 644 "$1"
}
sp_profile "$sp/admin/nsplan-t-sp.yaml" 11
sp_profile "$sp/shipped/nsplan-t-sp.yaml" 22
sp_profile "$sp/shipped/nsplan-t-only-shipped.yaml" 33
sp_profile "$sp/cwd/nsplan-t-sp" 44
sp_profile "$sp/cwd/nsplan-t-sp.yaml" 44
sp_profile "$sp/admin/nsplan-t-misnamed.yaml" 55
sed -i 's/^name: .*/name: nsplan-t-other/' "$sp/admin/nsplan-t-misnamed.yaml"
sp_path="--profile-path $sp/admin --profile-path $sp/shipped"
# shellcheck disable=SC2086
expect 0 "explain NAME: the first directory of the search path" -- env -C "$sp/cwd" "$nsplan" explain nsplan-t-sp --cgroup v2 $sp_path
grep -q "^echo '11' > '/sys/fs/cgroup/nsplan-t-sp/pids.max'$" "$tmp/out" || { echo "FAIL: explain NAME reads the admin's profile"; cat "$tmp/out"; fail=1; }
grep -q "^# $sp/admin/nsplan-t-sp.yaml:3:" "$tmp/out" || { echo "FAIL: explain NAME names the file found"; cat "$tmp/out"; fail=1; }
grep -q "'44'" "$tmp/out" && { echo "FAIL: a bare name read the current directory"; fail=1; }
# shellcheck disable=SC2086
expect 0 "explain ./FILE in the current directory" -- env -C "$sp/cwd" "$nsplan" explain ./nsplan-t-sp --cgroup v2 $sp_path
grep -q "'44'" "$tmp/out" || { echo "FAIL: ./FILE reads the file"; fail=1; }
# shellcheck disable=SC2086
expect 0 "explain NAME found in the second directory" -- "$nsplan" explain nsplan-t-only-shipped --cgroup v2 $sp_path
grep -q "'33'" "$tmp/out" || { echo "FAIL: the second directory is searched"; fail=1; }
for command in "plan nsplan-t-sp --cgroup v2" "check nsplan-t-sp" "export systemd nsplan-t-sp" "diff nsplan-t-sp nsplan-t-only-shipped --cgroup v2"; do
  want=0; [ "${command%% *}" = diff ] && want=1  # diff(1): 1, they differ
  # shellcheck disable=SC2086
  expect $want "$command (by name)" -- "$nsplan" $command $sp_path
done
grep -q "^~ /sys/fs/cgroup/nsplan-t-sp/pids.max: 11 -> 33  ($sp/shipped/nsplan-t-only-shipped.yaml:3:" "$tmp/out" || { echo "FAIL: diff NAME NAME compares the two files found"; cat "$tmp/out"; fail=1; }
# A profile given by name carries that name: apply NAME and destroy NAME mean the same profile.
# shellcheck disable=SC2086
expect 1 "a profile found by name that names another profile" -- "$nsplan" explain nsplan-t-misnamed --cgroup v2 $sp_path
grep -q "^$sp/admin/nsplan-t-misnamed.yaml:2:7: error: this profile, given by the name 'nsplan-t-misnamed' and found on the search path, is named 'nsplan-t-other'$" "$tmp/err" || { echo "FAIL: a misnamed profile found by name"; cat "$tmp/err"; fail=1; }
# shellcheck disable=SC2086
expect 0 "the same file by its path" -- "$nsplan" explain "$sp/admin/nsplan-t-misnamed.yaml" --cgroup v2 $sp_path
# shellcheck disable=SC2086
expect 1 "a name not found" -- "$nsplan" explain nsplan-t-sq --cgroup v2 $sp_path
grep -q "^nsplan: error: no profile 'nsplan-t-sq' on the profile search path ($sp/admin, $sp/shipped)$" "$tmp/err" || { echo "FAIL: a name not found lists the directories"; cat "$tmp/err"; fail=1; }
grep -q "^  hint: did you mean 'nsplan-t-sp'?$" "$tmp/err" || { echo "FAIL: a name not found suggests the nearest"; cat "$tmp/err"; fail=1; }
expect 1 "a word neither name nor file" -- "$nsplan" explain 'no such' --cgroup v2
grep -q "'no such' is neither a profile name nor a profile file" "$tmp/err" || { echo "FAIL: neither name nor file"; cat "$tmp/err"; fail=1; }
# Attacker's view: the first directory's file is refused, and not passed over for the next one.
chmod 664 "$sp/admin/nsplan-t-sp.yaml"
# shellcheck disable=SC2086
expect 1 "a profile on the search path writable by group" -- "$nsplan" explain nsplan-t-sp --cgroup v2 $sp_path
grep -q "cannot read '$sp/admin/nsplan-t-sp.yaml': it is writable by group or others (mode 0664)" "$tmp/err" || { echo "FAIL: group-writable profile"; cat "$tmp/err"; fail=1; }
[ -s "$tmp/out" ] && { echo "FAIL: the next directory's profile was used instead"; fail=1; }
chmod 646 "$sp/admin/nsplan-t-sp.yaml"
# shellcheck disable=SC2086
expect 1 "a profile on the search path writable by others" -- "$nsplan" check nsplan-t-sp $sp_path
grep -q "it is writable by group or others (mode 0646)" "$tmp/err" || { echo "FAIL: world-writable profile"; cat "$tmp/err"; fail=1; }
chmod 644 "$sp/admin/nsplan-t-sp.yaml"
ln -s "$sp/cwd/nsplan-t-sp.yaml" "$sp/admin/nsplan-t-link.yaml"
# shellcheck disable=SC2086
expect 1 "a symbolic link out of the search directory" -- "$nsplan" check nsplan-t-link $sp_path
grep -q "a symbolic link leads out of '$sp/admin'" "$tmp/err" || { echo "FAIL: a link out of the search directory"; cat "$tmp/err"; fail=1; }
if [ "$(id -u)" = 0 ]; then
  chown 65534 "$sp/admin/nsplan-t-sp.yaml"
  # shellcheck disable=SC2086
  expect 1 "a profile on the search path owned by another user" -- "$nsplan" explain nsplan-t-sp --cgroup v2 $sp_path
  grep -q "it is owned by uid 65534, not by root or the user running nsplan" "$tmp/err" || { echo "FAIL: a profile of another owner"; cat "$tmp/err"; fail=1; }
  chown 0 "$sp/admin/nsplan-t-sp.yaml"
  chown 65534 "$sp/admin"
  # shellcheck disable=SC2086
  expect 1 "a search directory owned by another user" -- "$nsplan" explain nsplan-t-sp --cgroup v2 $sp_path
  grep -q "the profile search directory '$sp/admin' is owned by uid 65534" "$tmp/err" || { echo "FAIL: a search directory of another owner"; cat "$tmp/err"; fail=1; }
  chown 0 "$sp/admin"
elif [ "${CI:-}" = true ]; then
  echo "FAIL: the ownership checks of the search path need root (chown)"; fail=1
fi

# `-`: the profile from standard input, named <stdin> (file:line:col as for a file).
expect 0 "explain firefox from a file" -- "$nsplan" explain profiles/firefox.yaml --cgroup v2
sed 's|profiles/firefox.yaml|<stdin>|g' "$tmp/out" > "$tmp/from-file"
expect 0 "explain - (standard input)" -- sh -c '"$0" explain - --cgroup v2 < profiles/firefox.yaml' "$nsplan"
cmp -s "$tmp/out" "$tmp/from-file" || { echo "FAIL: explain - differs from explain FILE but for the name <stdin>:"; diff "$tmp/from-file" "$tmp/out"; fail=1; }
grep -q "^# <stdin>:[0-9]*:[0-9]*: memory max 3G$" "$tmp/out" || { echo "FAIL: explain - locates its steps in <stdin>"; fail=1; }
expect 1 "check - of an invalid profile" -- sh -c '"$0" check - < tests/diagnostics/values.yaml' "$nsplan"
grep -q "^<stdin>:6:10: error: bad unit 'X' in '3X'$" "$tmp/err" || { echo "FAIL: check - locates its errors in <stdin>"; cat "$tmp/err"; fail=1; }
expect 0 "plan - --json" -- sh -c '"$0" plan - --json --cgroup v2 < profiles/lab.yaml' "$nsplan"
grep -q '"nsplan_plan": 2' "$tmp/out" || { echo "FAIL: plan - --json"; fail=1; }
expect 0 "export systemd -" -- sh -c '"$0" export systemd - < profiles/firefox.yaml' "$nsplan"
grep -q "^MemoryMax=" "$tmp/out" || { echo "FAIL: export systemd -"; cat "$tmp/out"; fail=1; }
expect 0 "check - with a file" -- sh -c '"$0" check profiles/lab.yaml - < profiles/firefox.yaml' "$nsplan"
grep -qx -- "-: ok" "$tmp/out" || { echo "FAIL: check FILE - says ok for -"; cat "$tmp/out"; fail=1; }
expect 0 "diff - FILE: the same profile" -- sh -c '"$0" diff - profiles/firefox.yaml --cgroup v2 < profiles/firefox.yaml' "$nsplan"
[ -s "$tmp/out" ] && { echo "FAIL: diff - FILE of the same profile shows changes"; cat "$tmp/out"; fail=1; }
# A file named - (or <stdin>) planted in the current directory is never read for -.
mkdir "$tmp/dash"
printf 'nsplan: 1\nname: nsplan-t-planted\ncgroup: {path: nsplan-t-planted, pids: {max: 66}}\n' > "$tmp/dash/-"
cp "$tmp/dash/-" "$tmp/dash/<stdin>"
expect 0 "- with a file named - in the current directory" -- env -C "$tmp/dash" sh -c '"$0" explain - --cgroup v2 < "$1"' "$nsplan" "$src/profiles/firefox.yaml"
grep -q "nsplan-t-planted" "$tmp/out" && { echo "FAIL: - read a file named - or <stdin>"; fail=1; }
grep -q "memory max 3G" "$tmp/out" || { echo "FAIL: - reads standard input"; fail=1; }
expect 2 "- twice" -- sh -c '"$0" check - - < profiles/firefox.yaml' "$nsplan"
grep -q "standard input) is given twice" "$tmp/err" || { echo "FAIL: - twice"; cat "$tmp/err"; fail=1; }
expect 2 "run - (standard input is the command's)" -- sh -c '"$0" run - < profiles/firefox.yaml' "$nsplan"
expect 2 "destroy - (a name or a file)" -- sh -c '"$0" destroy - < profiles/firefox.yaml' "$nsplan"
# No more of an endless stream is read than a profile may hold.
expect 1 "standard input larger than a profile" -- sh -c 'yes "# padding" | "$0" check -' "$nsplan"
grep -q "standard input is larger than 1024 KiB" "$tmp/err" || { echo "FAIL: the size limit of standard input"; cat "$tmp/err"; fail=1; }
# extends: by name works from standard input; a path relative to it has no directory to be below.
chmod 755 "$tmp/inc/search"
expect 0 "extends by name from standard input" -- sh -c 'printf "nsplan: 1\nname: inc\nextends: nsplan-t-base\n" | "$0" explain - --cgroup v2 --profile-path "$1"' "$nsplan" "$tmp/inc/search"
grep -q "^echo '1073741824' > '/sys/fs/cgroup/nsplan-t-inc/memory.max'$" "$tmp/out" || { echo "FAIL: the base of standard input"; cat "$tmp/out"; fail=1; }
expect 1 "a relative include from standard input" -- sh -c 'printf "nsplan: 1\nname: inc\ninclude: sub/frag.yaml\n" | "$0" check -' "$nsplan"
grep -q "^<stdin>:3:10: error: include: 'sub/frag.yaml' is a path relative to the directory of this profile, but a profile read from standard input has none$" "$tmp/err" || { echo "FAIL: relative include from standard input"; cat "$tmp/err"; fail=1; }
# try - reads the answer from the terminal; with none, nothing is applied.
expect 2 "try - without a terminal" -- setsid -w sh -c '"$0" try - --state-dir "$1" < profiles/firefox.yaml' "$nsplan" "$tmp/try-state"
grep -q "the answer must come from the terminal (/dev/tty), and there is none; nothing was changed" "$tmp/err" || { echo "FAIL: try - without a terminal"; cat "$tmp/err"; fail=1; }
[ -e "$tmp/try-state" ] && { echo "FAIL: try - without a terminal made its state dir"; fail=1; }

# destroy WORD: a bare word is a name whatever the current directory holds, so a file planted
# there (here: one naming another profile) cannot redirect root's destroy. Only a path is read.
mkdir "$tmp/cwd"
printf 'nsplan: 1\nname: nsplan-t-other\n' > "$tmp/cwd/nsplan-t-planted"
cp "$tmp/cwd/nsplan-t-planted" "$tmp/cwd/nsplan-t-planted.yaml"
if [ "$(id -u)" = 0 ]; then
  expect 0 "destroy NAME with a file of that name in the cwd" -- env -C "$tmp/cwd" "$nsplan" destroy nsplan-t-planted --state-dir "$tmp/state"
  grep -q "nothing to destroy: 'nsplan-t-planted'" "$tmp/out" || { echo "FAIL: destroy NAME takes the name"; cat "$tmp/out"; fail=1; }
  grep -q "nsplan-t-other" "$tmp/out" "$tmp/err" && { echo "FAIL: destroy NAME read the planted file"; fail=1; }
  expect 0 "destroy ./FILE reads the file" -- env -C "$tmp/cwd" "$nsplan" destroy ./nsplan-t-planted --state-dir "$tmp/state"
  grep -q "nothing to destroy: 'nsplan-t-other'" "$tmp/out" || { echo "FAIL: destroy ./FILE takes the file's name"; cat "$tmp/out"; fail=1; }
  expect 0 "destroy FILE.yaml reads the file" -- env -C "$tmp/cwd" "$nsplan" destroy nsplan-t-planted.yaml --state-dir "$tmp/state"
  grep -q "nothing to destroy: 'nsplan-t-other'" "$tmp/out" || { echo "FAIL: destroy FILE.yaml takes the file's name"; cat "$tmp/out"; fail=1; }
else
  expect 3 "destroy NAME with a file of that name in the cwd" -- env -C "$tmp/cwd" "$nsplan" destroy nsplan-t-planted --state-dir "$tmp/state"
  grep -q "destroying 'nsplan-t-planted' needs" "$tmp/err" || { echo "FAIL: destroy NAME takes the name"; cat "$tmp/err"; fail=1; }
  grep -q "nsplan-t-other" "$tmp/out" "$tmp/err" && { echo "FAIL: destroy NAME read the planted file"; fail=1; }
fi
expect 2 "destroy of a word that is neither name nor file" -- env -C "$tmp/cwd" "$nsplan" destroy ".hidden" --state-dir "$tmp/state"
grep -q "'.hidden' is neither a profile name nor a profile file" "$tmp/err" || { echo "FAIL: bad name message"; cat "$tmp/err"; fail=1; }
expect 2 "an unknown command" -- "$nsplan" aply profiles/lab.yaml
grep -q "^nsplan: error: unknown command 'aply'; did you mean 'apply'?$" "$tmp/err" || { echo "FAIL: did-you-mean"; cat "$tmp/err"; fail=1; }
expect 2 "a word far from every command" -- "$nsplan" frobnicate
grep -q "^nsplan: error: unknown command 'frobnicate'$" "$tmp/err" || { echo "FAIL: unknown command without a guess"; cat "$tmp/err"; fail=1; }
expect 2 "attach to pid 0" -- "$nsplan" attach profiles/lab.yaml 0
grep -qF "expected a process id, a number from 1 to 4194304 (e.g. \$\$), not '0'" "$tmp/err" || { echo "FAIL: pid message"; cat "$tmp/err"; fail=1; }
[ "$(wc -c < "$tmp/err")" -lt 200 ] || { echo "FAIL: the pid message is long"; cat "$tmp/err"; fail=1; }
expect 2 "attach to a pid beyond pid_max" -- "$nsplan" attach profiles/lab.yaml 99999999999
expect 0 "destroy --help states the rule" -- "$nsplan" destroy --help
grep -q "whatever files the current directory holds" "$tmp/out" || { echo "FAIL: destroy --help"; fail=1; }

# top: plain text when not on a terminal, a block per refresh separated by a blank line; on a
# terminal a redraw (escapes), reverse video unless NO_COLOR, none of it with TERM=dumb.
mkdir -m 700 "$tmp/top-state"
expect 0 "top --once with nothing applied" -- "$nsplan" top --once --state-dir "$tmp/top-state"
printf 'PROFILE  CGROUP  TASKS  CPU%%  MEMORY  READ/S  WRITE/S  PIDS\n(no applied profile has a cgroup that nsplan made)\n' > "$tmp/want"
cmp -s "$tmp/out" "$tmp/want" || { echo "FAIL: top --once with nothing applied"; cat "$tmp/out"; fail=1; }
expect 0 "top -n 2" -- "$nsplan" top -n 2 --interval 0.1 --state-dir "$tmp/top-state"
[ "$(grep -c '^PROFILE ' "$tmp/out")" = 2 ] && [ "$(grep -c '^$' "$tmp/out")" = 1 ] || { echo "FAIL: top -n 2 prints two blocks"; cat "$tmp/out"; fail=1; }
if grep -q "$(printf '\033')" "$tmp/out"; then echo "FAIL: escape codes in top's piped output"; fail=1; fi
expect 2 "top --sort of no column" -- "$nsplan" top --sort ram
expect 2 "top --interval 0" -- "$nsplan" top --interval 0
expect 2 "top --once -n 2" -- "$nsplan" top --once -n 2
expect 2 "status --watch --json" -- "$nsplan" status profiles/lab.yaml --watch --json
expect 2 "status --interval without --watch" -- "$nsplan" status profiles/lab.yaml --interval 2
if command -v script > /dev/null; then
  esc=$(printf '\033')
  TERM=xterm script -qec "$nsplan top -n 1 --state-dir $tmp/top-state" /dev/null > "$tmp/tty" 2>&1
  grep -q "$esc\[H$esc\[2Jnsplan top: 0 profiles" "$tmp/tty" || { echo "FAIL: top redraws on a terminal"; cat -v "$tmp/tty"; fail=1; }
  grep -q "$esc\[7mPROFILE" "$tmp/tty" || { echo "FAIL: top's header in reverse video"; cat -v "$tmp/tty"; fail=1; }
  grep -q "$esc\[?25h" "$tmp/tty" || { echo "FAIL: top shows the cursor again"; cat -v "$tmp/tty"; fail=1; }
  NO_COLOR=1 TERM=xterm script -qec "$nsplan top -n 1 --state-dir $tmp/top-state" /dev/null > "$tmp/tty" 2>&1
  grep -q "$esc\[7m" "$tmp/tty" && { echo "FAIL: top highlights with NO_COLOR"; fail=1; }
  grep -q "$esc\[2J" "$tmp/tty" || { echo "FAIL: NO_COLOR still redraws"; fail=1; }
  TERM=dumb script -qec "$nsplan top -n 1 --state-dir $tmp/top-state" /dev/null > "$tmp/tty" 2>&1
  grep -q "$esc" "$tmp/tty" && { echo "FAIL: escapes for TERM=dumb"; cat -v "$tmp/tty"; fail=1; }
fi

expect 2 "no subcommand" -- "$nsplan"
expect 2 "unknown subcommand" -- "$nsplan" frobnicate
expect 2 "bad --cgroup" -- "$nsplan" explain profiles/firefox.yaml --cgroup v3
expect 2 "missing profile argument" -- "$nsplan" explain

expect 0 "schema" -- "$nsplan" schema
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["$schema"].endswith("2020-12/schema"); assert "memory" in s["$defs"]; assert s["additionalProperties"] is False' "$tmp/out" \
  || { echo "FAIL: schema is not the expected JSON"; fail=1; }
expect 0 "reference" -- "$nsplan" schema --markdown
cmp -s "$tmp/out" docs/reference.md || { echo "FAIL: docs/reference.md differs from 'nsplan schema --markdown' (regenerate it)"; fail=1; }
expect 0 "cgroup files" -- "$nsplan" schema --cgroup-files
sed -n '/<!-- cgroup-files:begin -->/,/<!-- cgroup-files:end -->/p' docs/cgroup-v1-v2.md | sed '1d;$d' > "$tmp/table"
cmp -s "$tmp/out" "$tmp/table" || { echo "FAIL: the table of docs/cgroup-v1-v2.md differs from 'nsplan schema --cgroup-files' (regenerate it)"; fail=1; }

# Same input, same bytes.
"$nsplan" explain profiles/lab.yaml --cgroup v2 > "$tmp/a"
"$nsplan" explain profiles/lab.yaml --cgroup v2 > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL: explain is not deterministic"; fail=1; }

[ $fail = 0 ] && echo "cli: all checks passed"
exit $fail
